#!/usr/bin/env node
// Micro-benchmark of the JetStream file store (dist/jetstream/store/file.js, no server, no
// network): store rate for 16 B and 1 KiB messages, sequential load rate (cold blocks and
// cached), restart (open) time and RSS for a stream of N 16 B messages, and the checksum rates.
// Build first (`npm run build:ts`).
//
//   node bench/filestore.mjs [--msgs N (default 1000000)] [--big N (default 200000)] [--dir DIR]

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, crc32Ts } from '../dist/util/crc32.js';
import { FileStore } from '../dist/jetstream/store/file.js';
import { nativeImplementation } from '../dist/native/load.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const N = Number(arg('--msgs', 1_000_000));
const BIG = Number(arg('--big', 200_000));
const root = mkdtempSync(join(arg('--dir', tmpdir()), 'tsnats-fsbench-'));
const LIMITS = { maxMsgs: -1, maxBytes: -1, maxAgeMs: 0, maxMsgsPer: -1, maxMsgSize: -1, discard: 'old', discardNewPer: false };
const empty = Buffer.alloc(0);
const fmt = (n) => Math.round(n).toLocaleString('en-US');
const turn = () => new Promise((r) => setImmediate(r));

/** The native path's checksum (the addon's crc32 from 64 bytes), or null without the addon. */
let nativeCrc = null;
try {
  nativeCrc = nativeImplementation().crc32;
} catch (e) {
  console.error(`no addon (${e.message}): the native rows are left out`);
}

/** Stores n messages of `size` bytes, 100 per loop turn (as a publisher's burst would arrive); `crc`: the records' checksum (default the TS path's). */
async function storeRun(dir, n, size, crc) {
  const s = await FileStore.open(dir, { log: (t) => console.error(t), crc32: crc });
  s.setLimits(LIMITS);
  const payload = Buffer.alloc(size, 0x61);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; ) {
    for (let k = 0; k < 100 && i < n; k++, i++) s.store('bench.subject', empty, payload, Date.now());
    await turn();
  }
  await s.flush();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { s, ms };
}

function diskBytes(dir) {
  let t = 0;
  for (const f of readdirSync(join(dir, 'msgs'))) t += statSync(join(dir, 'msgs', f)).size;
  return t;
}

const out = [];
const row = (what, value) => {
  out.push([what, value]);
  console.log(`${what.padEnd(44)} ${value}`);
};

// Checksums.
{
  const b16 = Buffer.alloc(48, 1);
  const b1k = Buffer.alloc(1056, 1);
  for (const [name, buf] of [['48 B record', b16], ['1 KiB record', b1k]]) {
    for (const [impl, fn] of [['TS twin', crc32Ts], ['TS path', crc32], ...(nativeCrc ? [['native path', nativeCrc]] : [])]) {
      const reps = name.startsWith('48') ? 2_000_000 : 300_000;
      let x = 0;
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < reps; i++) x ^= fn(buf, 0, buf.length);
      const ns = Number(process.hrtime.bigint() - t0) / reps;
      row(`crc32 ${impl}, ${name}`, `${ns.toFixed(0)} ns/record${x === 0.5 ? '' : ''}`);
    }
  }
}

// Store 16 B.
const dir16 = join(root, 's16');
const r16 = await storeRun(dir16, N, 16);
row(`store ${fmt(N)} x 16 B`, `${fmt((N / r16.ms) * 1000)} msgs/s (${(r16.ms / 1000).toFixed(2)} s)`);
row('  disk bytes per 16 B message', (diskBytes(dir16) / N).toFixed(1));
row('  index bytes per message (typed arrays)', (r16.s.indexBytes() / N).toFixed(1));

// Load: sequential over every message (cold: a fresh store reads each block once from disk).
{
  const t0 = process.hrtime.bigint();
  let n = 0;
  for (let seq = 1; seq <= N; seq++) if (r16.s.load(seq) !== null) n++;
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  row(`load ${fmt(n)} x 16 B sequential`, `${fmt((n / ms) * 1000)} msgs/s`);
}
{
  const t0 = process.hrtime.bigint();
  let n = 0;
  for (let m = r16.s.loadNext('bench.subject', 1); m !== null; m = r16.s.loadNext('bench.subject', m.seq + 1)) n++;
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  row(`loadNext(literal) ${fmt(n)} x 16 B`, `${fmt((n / ms) * 1000)} msgs/s`);
}
await r16.s.stop();
{
  // Random loads over a reopened store (nothing cached): one record read each.
  const s = await FileStore.open(dir16, { log: (t) => console.error(t) });
  let x = 12345;
  const reps = 20_000;
  const t0 = process.hrtime.bigint();
  for (let k = 0; k < reps; k++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    if (s.load(1 + (x % N)) === null) throw new Error('random load missed');
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  row(`load ${fmt(reps)} random of ${fmt(N)} x 16 B`, `${fmt((reps / ms) * 1000)} msgs/s`);
  await s.stop();
}

// Restart with N messages, each in a fresh process (time to open, and its RSS after): with the
// index file of a clean stop, then without it (the scan a crash leads to).
const OPEN = `
  import { FileStore } from ${JSON.stringify(new URL('../dist/jetstream/store/file.js', import.meta.url).href)};
  const t0 = process.hrtime.bigint();
  const s = await FileStore.open(process.argv[1], {});
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(JSON.stringify({ ms, msgs: s.state().msgs, rss: process.memoryUsage().rss }));
  await s.stop();`;
for (const how of ['index file', 'scan of the blocks']) {
  if (how !== 'index file') rmSync(join(dir16, 'index.db'), { force: true });
  const res = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', OPEN, dir16], { encoding: 'utf8' }));
  if (res.msgs !== N) throw new Error(`restart found ${res.msgs} messages, stored ${N}`);
  row(`restart (open) with ${fmt(N)} messages, ${how}`, `${res.ms.toFixed(0)} ms, RSS ${(res.rss / 1048576).toFixed(0)} MiB`);
}
rmSync(dir16, { recursive: true, force: true });

// Store 1 KiB, with the native path's checksum too.
if (nativeCrc) {
  const dir = join(root, 's1k-native');
  const r = await storeRun(dir, BIG, 1024, nativeCrc);
  row(`store ${fmt(BIG)} x 1 KiB, native checksum`, `${fmt((BIG / r.ms) * 1000)} msgs/s (${((BIG * 1024) / 1048576 / (r.ms / 1000)).toFixed(0)} MiB/s)`);
  await r.s.delete();
}
{
  const dir = join(root, 's1k');
  const r = await storeRun(dir, BIG, 1024);
  row(`store ${fmt(BIG)} x 1 KiB, TS checksum`, `${fmt((BIG / r.ms) * 1000)} msgs/s (${((BIG * 1024) / 1048576 / (r.ms / 1000)).toFixed(0)} MiB/s)`);
  const t0 = process.hrtime.bigint();
  let n = 0;
  for (let seq = 1; seq <= BIG; seq++) if (r.s.load(seq) !== null) n++;
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  row(`load ${fmt(n)} x 1 KiB sequential`, `${fmt((n / ms) * 1000)} msgs/s`);
  await r.s.stop();
}

rmSync(root, { recursive: true, force: true });
