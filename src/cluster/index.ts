// Clustering over the nats-server 2.9 route protocol. The server creates the cluster with
// createCluster when `opts.cluster` is set and talks to it only through the Cluster interface.
// The route code loads only for such a server: whoever builds one awaits loadCluster() first
// (the command line and startServer do), so that a plain start does not read or compile it.

import type { Cluster, ClusterHost } from './host.js';

export type { Cluster, ClusterHost, RemoteSubSnapshot, RouteLink, RouteSnapshot } from './host.js';

let routes: typeof import('./cluster.js') | null = null;

/** Loads the route code (once); createCluster needs it. */
export async function loadCluster(): Promise<void> {
  routes ??= await import('./cluster.js');
}

export function createCluster(host: ClusterHost): Cluster {
  if (routes === null) throw new Error('tsnats: createCluster before loadCluster() completed');
  return new routes.ClusterManager(host);
}
