// A fixed set of identical spawned servers (same kind, same config); `run` lends one server to
// one job at a time, so jobs that share subjects never see each other's traffic.

import { spawnServer, type ServerKind, type SpawnedServer } from './spawn-server.js';

export class ServerPool {
  private servers: SpawnedServer[] = [];
  private free: SpawnedServer[] = [];
  private waiters: ((s: SpawnedServer) => void)[] = [];
  private started: Promise<void> | undefined;
  private stopping = false;

  constructor(
    readonly kind: ServerKind,
    readonly config: string | undefined,
    readonly size: number,
  ) {}

  start(): Promise<void> {
    this.started ??= (async () => {
      const results = await Promise.allSettled(
        Array.from({ length: this.size }, () => spawnServer(this.kind, { config: this.config })),
      );
      for (const r of results) if (r.status === 'fulfilled') this.servers.push(r.value);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed || this.stopping) {
        await Promise.all(this.servers.map((s) => s.stop()));
        throw failed ? failed.reason : new Error('pool stopped while starting');
      }
      this.free = [...this.servers];
    })();
    return this.started;
  }

  private acquire(): Promise<SpawnedServer> {
    const s = this.free.pop();
    if (s) return Promise.resolve(s);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private release(s: SpawnedServer): void {
    const w = this.waiters.shift();
    if (w) w(s);
    else this.free.push(s);
  }

  async run<T>(job: (server: SpawnedServer) => Promise<T>): Promise<T> {
    await this.start();
    const s = await this.acquire();
    try {
      return await job(s);
    } finally {
      // let the server notice the closed connections before the next job (max_connections)
      await new Promise((r) => setTimeout(r, 20));
      this.release(s);
    }
  }

  /** Servers that died while the pool was in use (crash = test failure). */
  dead(): SpawnedServer[] {
    return this.servers.filter((s) => s.proc.exitCode !== null || s.proc.signalCode !== null);
  }

  /** Stops every server, including ones still starting when stop is called. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.started?.catch(() => undefined);
    await Promise.all(this.servers.map((s) => s.stop()));
  }
}
