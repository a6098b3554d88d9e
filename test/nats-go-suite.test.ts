// The official Go client's own JetStream, KV and object-store tests (nats.go 1.22.1, from
// Debian's golang-github-nats-io-go-nats-dev), run against tsnats as a user would: each test
// starts tsnats as a child process on this lane's parser path (TSNATS_NATIVE is inherited). The
// tests that need a JetStream cluster, or fail on nats-server 2.9.10 too, are listed in
// test/nats-go/suite.mjs with why; every other one must pass (a failure is run once more, see
// below). `node test/nats-go/suite.mjs
// --server nats-server` runs the same tests against the reference.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXCLUDED, EXCLUDED_CORE, TSNATS, available, buildSuite, listTests, runTest, type Suite } from './nats-go/suite.mjs';

/** Go tests run two at a time (each starts its own servers). */
const JOBS = 2;
let running = 0;
const queue: (() => void)[] = [];
async function slot<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= JOBS) await new Promise<void>((go) => queue.push(go));
  running++;
  try {
    return await fn();
  } finally {
    running--;
    queue.shift()?.();
  }
}

const names = available() ? listTests() : [];
let dir = '';
let suite: Suite;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nats-go-suite-'));
  suite = buildSuite(dir);
}, 180_000);

afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

describe('nats.go test suite (JetStream, KV, object store) against tsnats', () => {
  it('is installed, and every excluded test exists', () => {
    expect(available(), 'apt-get install -y golang-go golang-github-nats-io-go-nats-dev').toBe(true);
    expect(names.length).toBeGreaterThan(90);
    for (const n of Object.keys(EXCLUDED)) expect(names).toContain(n);
  });

  for (const name of names.filter((n) => !(n in EXCLUDED))) {
    it.concurrent(name, async () => {
      let r = await slot(() => runTest(suite, name, TSNATS));
      // Some of these tests wait 10 ms for a reply; on a loaded 2-core machine one may miss that
      // by chance, so a failure is run once more: a real difference fails both times.
      if (!r.ok) {
        console.log(`${name} failed once, running it again:\n${r.out.slice(-3000)}`);
        r = await slot(() => runTest(suite, name, TSNATS));
      }
      expect(r.ok, r.out.slice(-6000)).toBe(true);
    }, 900_000);
  }
});

// nats.go's core tests (`node test/nats-go/suite.mjs --files core`) are not run here: they use
// fixed ports, so they run one at a time, and each starts one or more servers; on the 2-core CI
// machine that is over two minutes per parser path, mostly Node start-ups. Their exclusions are
// checked here all the same.
describe('nats.go core tests (run by suite.mjs --files core)', () => {
  it('every excluded test exists', () => {
    const core = available('core') ? listTests('core') : [];
    expect(core.length).toBeGreaterThan(200);
    for (const n of Object.keys(EXCLUDED_CORE)) expect(core).toContain(n);
  });
});
