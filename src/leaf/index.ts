// Leaf nodes over the nats-server 2.9 leafnode protocol. The server creates them with
// createLeafNodes when `opts.leafnode` is set and talks to them only through the LeafNodes
// interface. The leaf code loads only for such a server: whoever builds one awaits
// loadLeafNodes() first (the command line and startServer do), so that a plain start does not
// read or compile it.

import type { LeafHost, LeafNodes } from './host.js';

export type { LeafHost, LeafNodes, LeafSnapshot } from './host.js';

let leafs: typeof import('./leafnodes.js') | null = null;

/** Loads the leaf code (once); createLeafNodes needs it. */
export async function loadLeafNodes(): Promise<void> {
  leafs ??= await import('./leafnodes.js');
}

export function createLeafNodes(host: LeafHost): LeafNodes {
  if (leafs === null) throw new Error('tsnats: createLeafNodes before loadLeafNodes() completed');
  return new leafs.LeafManager(host);
}
