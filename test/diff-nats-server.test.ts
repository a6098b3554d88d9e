// Differential byte tests: every scenario (a byte script over one or more raw TCP connections)
// is played against nats-server 2.9.10 and against tsnats (dist/cli.cjs); per connection, the
// bytes received (INFO normalized) and whether/when the server closed must be identical.
// Scenarios may also carry `want` claims (from /work/shared/protocol.md), checked against the
// nats-server run: that keeps the spec and the reference binary honest.
//
// Each server is started once per config (a small pool for the default config), never per
// scenario; every scenario has a server to itself while it runs, so subjects never cross.
// Scenarios: test/diff-scenarios/*.ts (DSL in test/helpers/scenario.ts). Most also run a second
// time with every send cut into seeded random pieces ("[random chunks]"), some byte by byte.
//
// Environment:
//   TSNATS_DIFF_TARGET=nats-server  play nats-server against itself (harness stability check)
//   TSNATS_CLI=/path/to/cli.cjs      tsnats entry point (default <repo>/dist/cli.cjs)
//   TSNATS_DIFF_POOL=n               servers per kind for the config-less scenarios
//   TSNATS_NATIVE                    passed through to the tsnats processes

import { availableParallelism } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServerPool } from './helpers/server-pool.js';
import type { ServerKind } from './helpers/spawn-server.js';
import {
  checkWants,
  comparable,
  formatRun,
  formatScript,
  play,
  type ChunkMode,
  type ConnResult,
  type Scenario,
} from './helpers/scenario.js';
import { scenarios as allScenarios } from './diff-scenarios/index.js';

const REFERENCE: ServerKind = 'nats-server';
/** servers per kind for the scenarios without config (TSNATS_DIFF_POOL overrides) */
const DEFAULT_POOL = Number(process.env.TSNATS_DIFF_POOL ?? Math.min(8, Math.max(4, availableParallelism() * 2)));
const TARGET: ServerKind = process.env.TSNATS_DIFF_TARGET === 'nats-server' ? 'nats-server' : 'tsnats';

interface Variant {
  id: string;
  sc: Scenario;
  mode: ChunkMode;
}

function variantsOf(sc: Scenario): Variant[] {
  const v: Variant[] = [{ id: sc.name, sc, mode: 'whole' }];
  if (sc.chunk !== false) v.push({ id: `${sc.name} [random chunks]`, sc, mode: 'random' });
  if (sc.bytewise) v.push({ id: `${sc.name} [byte at a time]`, sc, mode: 'bytes' });
  return v;
}

const variants = allScenarios.flatMap(variantsOf);
{
  const seen = new Set<string>();
  for (const v of variants) {
    if (seen.has(v.id)) throw new Error(`duplicate scenario name: ${v.id}`);
    seen.add(v.id);
  }
}

type Runs = Map<string, ConnResult[] | Error>;
const results: Record<'ref' | 'tgt', Runs> = { ref: new Map(), tgt: new Map() };
const pools: ServerPool[] = [];
const poolFor = new Map<string, ServerPool>(); // `${kind}\0${config}` -> pool
const reruns: string[] = [];

async function runAll(kind: ServerKind, into: Runs): Promise<void> {
  const byConfig = new Map<string, Variant[]>();
  for (const v of variants) {
    const key = v.sc.config ?? '';
    let list = byConfig.get(key);
    if (!list) byConfig.set(key, (list = []));
    list.push(v);
  }
  await Promise.all(
    [...byConfig].map(async ([config, list]) => {
      const size = config === '' ? DEFAULT_POOL : Math.min(2, list.length);
      const pool = new ServerPool(kind, config === '' ? undefined : config, size);
      pools.push(pool);
      poolFor.set(`${kind}\0${config}`, pool);
      try {
        await pool.start();
      } catch (e) {
        // a config the server cannot start with fails its scenarios, not the whole file
        const err = new Error(`${kind} did not start with this config: ${e instanceof Error ? e.message : String(e)}`);
        for (const v of list) into.set(v.id, err);
        return;
      }
      await Promise.all(
        list.map((v) =>
          pool
            .run((srv) => play(srv.port, v.sc, { mode: v.mode, seed: v.id }))
            .then(
              (r) => into.set(v.id, r),
              (e: unknown) => into.set(v.id, e instanceof Error ? e : new Error(String(e))),
            ),
        ),
      );
    }),
  );
}

/**
 * Differences that may be scheduling noise under load, confirmed by a slower run: only *when*
 * the close was seen differs, or one server's output on every connection is the start of the
 * other's (it had not finished answering when the connection went quiet).
 */
function mayBeTiming(v: Variant, ref: ConnResult[], tgt: ConnResult[]): boolean {
  if (v.sc.summarize || v.sc.refOnly) return false;
  if (JSON.stringify(comparable(v.sc, ref)) === JSON.stringify(comparable(v.sc, tgt))) return false;
  const strip = (r: ConnResult[]): unknown => r.map((c) => ({ ...c, closedAtStep: null }));
  if (JSON.stringify(strip(ref)) === JSON.stringify(strip(tgt))) return true;
  return ref.length === tgt.length && ref.every((r, i) => r.text.startsWith(tgt[i]!.text) || tgt[i]!.text.startsWith(r.text));
}

beforeAll(async () => {
  await Promise.all([runAll(REFERENCE, results.ref), runAll(TARGET, results.tgt)]);
  // confirmation runs, slower settle, both servers, one scenario at a time per server
  const suspects = variants.filter((v) => {
    const r = results.ref.get(v.id);
    const t = results.tgt.get(v.id);
    return Array.isArray(r) && Array.isArray(t) && mayBeTiming(v, r, t);
  });
  await Promise.all(
    suspects.map(async (v) => {
      const key = v.sc.config ?? '';
      try {
        const [r, t] = await Promise.all(
          ([REFERENCE, TARGET] as const).map((kind) =>
            poolFor.get(`${kind}\0${key}`)!.run((srv) => play(srv.port, v.sc, { mode: v.mode, seed: v.id, settleMs: 150 })),
          ),
        );
        reruns.push(v.id);
        results.ref.set(v.id, r!);
        results.tgt.set(v.id, t!);
      } catch {
        /* keep the first results: they already show the difference */
      }
    }),
  );
}, 120_000);

afterAll(async () => {
  await Promise.all(pools.map((p) => p.stop()));
});

describe(`differential: ${TARGET} vs ${REFERENCE} 2.9.10 (${allScenarios.length} scenarios, ${variants.length} runs)`, () => {
  it('no server crashed during the run', () => {
    const dead = pools.flatMap((p) => p.dead().map((s) => `${s.kind} (config ${JSON.stringify(p.config)}):\n${s.output()}`));
    expect(dead, dead.join('\n\n')).toEqual([]);
  });

  it.each(variants.map((v) => [v.id, v] as const))('%s', (_id, v) => {
    const ref = results.ref.get(v.id);
    const tgt = results.tgt.get(v.id);
    if (ref instanceof Error || ref === undefined) throw new Error(`${REFERENCE} run failed: ${String(ref)}`);
    if (tgt instanceof Error || tgt === undefined) throw new Error(`${TARGET} run failed: ${String(tgt)}`);
    const header = [
      `scenario: ${v.id}`,
      v.sc.config ? `config:\n${v.sc.config}` : 'config: (none)',
      'script:',
      formatScript(v.sc),
      formatRun(`${REFERENCE} (reference)`, ref),
      formatRun(`${TARGET}`, tgt),
    ].join('\n');
    // protocol.md claims hold for the reference binary (a failure here = spec or scenario is wrong)
    const wantFails = checkWants(v.sc, ref);
    expect(wantFails, `${REFERENCE} contradicts the scenario's protocol.md expectation:\n${wantFails.join('\n')}\n\n${header}`).toEqual([]);
    if (v.sc.refOnly) return; // documents a nats-server quirk (see refOnly)
    const note = reruns.includes(v.id) ? '(confirmed by a second run with 150 ms settle)\n' : '';
    expect(comparable(v.sc, tgt), `${TARGET} differs from ${REFERENCE}\n${note}\n${header}\n`).toEqual(comparable(v.sc, ref));
  });
});
