// Clustering over the nats-server 2.9 route protocol. The server creates the cluster with
// createCluster when `opts.cluster` is set and talks to it only through the Cluster interface.

import { ClusterManager } from './cluster.js';
import type { Cluster, ClusterHost } from './host.js';

export type { Cluster, ClusterHost, RemoteSubSnapshot, RouteLink, RouteSnapshot } from './host.js';

export function createCluster(host: ClusterHost): Cluster {
  return new ClusterManager(host);
}
