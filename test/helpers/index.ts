// Shared helpers for black-box tests: spawn servers, raw TCP clients, INFO normalization,
// byte-script scenarios, and the switchable in-process/spawned target.

export { spawnServer, freePort, serverCommand, REPO_ROOT, TSNATS_CLI, NATS_SERVER_BIN } from './spawn-server.js';
export type { ServerKind, SpawnOptions, SpawnedServer } from './spawn-server.js';
export { RawClient, showBytes, waitQuiet } from './raw-client.js';
export type { Pattern, RawClientOptions } from './raw-client.js';
export { normalizeInfo, normalizeInfoJson, parseInfo } from './normalize-info.js';
export { ServerPool } from './server-pool.js';
export { startTarget, targetKind, toConfigText } from './target.js';
export type { Target } from './target.js';
export * from './scenario.js';
