#!/usr/bin/env node
// Restart time of the JetStream file store after a kill -9 (no server, no network): a child
// process stores N messages of 16 B (100 per loop turn), syncs (the index file is written at a
// sync), stores `--tail` more, removes every 10th of the last 10k and purges a subject, then
// kills itself with SIGKILL. The parent times the open of the files it left, then checks the
// counts against what the child reported. Build first (`npm run build:ts`).
//
//   node bench/filestore-crash.mjs [--msgs N (default 1000000)] [--tail N (default 20000)]
//                                  [--no-sync (kill before any sync: every block is scanned)]
//                                  [--runs N (default 3)] [--dist DIR (default ../dist)]
//                                  [--subjects K (default 1: the N messages go to K distinct
//                                   subjects kv.<i % K>, as the keys of a KV bucket)]
// Then it stops the recovered store cleanly (fsync, index file) and opens it again: the clean
// stop's and the clean restart's times are reported too.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const N = Number(arg('--msgs', 1_000_000));
const TAIL = Number(arg('--tail', 20_000));
const RUNS = Number(arg('--runs', 3));
const SYNC = !process.argv.includes('--no-sync');
const SUBJECTS = Number(arg('--subjects', 1));
const DIST = resolve(arg('--dist', new URL('../dist', import.meta.url).pathname));
const LIMITS = { maxMsgs: -1, maxBytes: -1, maxAgeMs: 0, maxMsgsPer: -1, maxMsgSize: -1, discard: 'old', discardNewPer: false };
const { FileStore } = await import(pathToFileURL(join(DIST, 'jetstream/store/file.js')).href);

if (process.argv[2] === '--child') {
  const dir = process.argv[3];
  const s = await FileStore.open(dir, { log: () => {} });
  s.setLimits(LIMITS);
  const payload = Buffer.alloc(16, 0x61);
  const empty = Buffer.alloc(0);
  const turn = () => new Promise((r) => setImmediate(r));
  const put = async (n, subject) => {
    for (let i = 0; i < n; ) {
      for (let k = 0; k < 100 && i < n; k++, i++) s.store(subject, empty, payload, Date.now());
      await turn();
    }
  };
  if (SUBJECTS <= 1) await put(N, 'bench.subject');
  else {
    for (let i = 0; i < N; ) {
      for (let k = 0; k < 100 && i < N; k++, i++) s.store(`kv.${i % SUBJECTS}`, empty, payload, Date.now());
      await turn();
    }
  }
  let t0 = process.hrtime.bigint();
  if (SYNC) await s.flush();
  const syncMs = Number(process.hrtime.bigint() - t0) / 1e6;
  // The index file's bytes alone (what a sync adds to the event loop besides its write), where the build has them.
  let buildMs = 0;
  let indexBytes = 0;
  if (typeof s.buildIndex === 'function') {
    t0 = process.hrtime.bigint();
    indexBytes = s.buildIndex().length;
    buildMs = Number(process.hrtime.bigint() - t0) / 1e6;
  }
  // What a sync does on its own turn (the rest, names and checksums, comes later in slices), where the build has it.
  let headMs = 0;
  if (typeof s.indexHead === 'function') {
    t0 = process.hrtime.bigint();
    s.indexHead();
    headMs = Number(process.hrtime.bigint() - t0) / 1e6;
  }
  await put(TAIL, 'bench.subject');
  await put(1000, 'bench.other');
  const last = s.state().lastSeq;
  for (let q = last - 10_000; q <= last - 1000; q += 10) s.remove(q, false);
  s.purge({ filter: 'bench.other' });
  await turn();
  process.stdout.write(JSON.stringify({ syncMs, buildMs, headMs, indexBytes, state: s.state() }) + '\n');
  process.kill(process.pid, 'SIGKILL');
} else {
  const times = [];
  const stops = [];
  const reopens = [];
  let line = '';
  for (let r = 0; r < RUNS; r++) {
    const dir = mkdtempSync(join(tmpdir(), 'tsnats-crash-'));
    const child = spawnSync(process.execPath, [new URL(import.meta.url).pathname, '--child', dir, ...process.argv.slice(2)], { encoding: 'utf8' });
    if (child.signal !== 'SIGKILL') throw new Error(`child: ${child.signal} ${child.stderr}`);
    const want = JSON.parse(child.stdout.trim());
    const logs = [];
    const t0 = process.hrtime.bigint();
    const s = FileStore.openSync(dir, { log: (t) => logs.push(t) });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const st = s.state();
    for (const k of ['msgs', 'bytes', 'firstSeq', 'lastSeq']) if (st[k] !== want.state[k]) throw new Error(`${k}: ${st[k]} != ${want.state[k]}`);
    times.push(ms);
    line = `sync (fsync, index file) ${want.syncMs.toFixed(1)} ms, index file built in ${want.buildMs.toFixed(1)} ms (${want.indexBytes} bytes)${want.headMs > 0 ? `, ${want.headMs.toFixed(1)} ms of it on the sync's turn` : ''}; ${logs.join('; ')}`;
    let t1 = process.hrtime.bigint();
    await s.stop();
    stops.push(Number(process.hrtime.bigint() - t1) / 1e6);
    t1 = process.hrtime.bigint();
    const c = FileStore.openSync(dir, { log: () => {} });
    reopens.push(Number(process.hrtime.bigint() - t1) / 1e6);
    if (c.state().msgs !== want.state.msgs) throw new Error('clean restart: msgs differ');
    await c.delete();
    rmSync(dir, { recursive: true, force: true });
  }
  times.sort((a, b) => a - b);
  console.log(`${N} + ${TAIL} messages, ${SYNC ? 'synced' : 'never synced'} before the kill: open ${times.map((t) => t.toFixed(0)).join(' / ')} ms (median ${times[Math.floor(times.length / 2)].toFixed(0)})`);
  console.log(line);
  const med = (a) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)].toFixed(0);
  console.log(`then a clean stop ${med(stops)} ms (median), a clean restart ${med(reopens)} ms (median)${SUBJECTS > 1 ? `; ${SUBJECTS} distinct subjects` : ''}`);
}
