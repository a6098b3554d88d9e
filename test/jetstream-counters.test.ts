// Consumer info counters side by side with `nats-server -js` 2.9.10: the same steps (publishes,
// consumers of every deliver policy, pull fetches, acks of each kind, purges with and without
// filter/keep/seq, clean and kill -9 restarts) run against a spawned tsnats and a spawned
// nats-server, and after each step every consumer's info must be the same, field by field:
// delivered, ack_floor, num_pending, num_ack_pending, num_redelivered, num_waiting (times and the
// created stamp left out). The deliveries themselves (subject, stream and consumer sequence,
// delivery count and the pending count of each ack subject) must be the same too.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, createInbox, headers, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { spawnServer, type ServerKind, type SpawnedServer } from './helpers/spawn-server.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Step =
  /** A `$JS.API` request (its reply is compared, times left out). */
  | ['api', string, unknown?]
  /** Publishes to a stream and waits for the PubAck. */
  | ['pub', string, string?, Record<string, string>?]
  /** A pull request of `batch` (no_wait): what is delivered, in order, until the status. */
  | ['fetch', stream: string, consumer: string, batch: number]
  /** Acks (`+ACK`, `-NAK`, `+TERM`, `+WPI`) the delivery of stream sequence `seq` to `consumer` (its last one). */
  | ['ack', consumer: string, seq: number, kind?: string]
  /** A waiting pull request of `batch` that expires after `expires` ms: what it gets is recorded for acks and listed by `got`. */
  | ['pull', stream: string, consumer: string, batch: number, expires: number]
  /** Subscribes to push consumer `consumer`'s deliver subject: what it gets is recorded as a pull request's. */
  | ['sub', consumer: string, subject: string]
  /** What the pull requests got so far (the status messages too), by consumer, in order. */
  | ['got']
  /** The consumer's info, compared. */
  | ['info', stream: string, consumer: string]
  /** Stops (SIGTERM; SIGKILL after the state had time to be written when `kill`) and restarts the server. */
  | ['restart', kill: boolean]
  | ['sleep', number];

const TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g;

/** Consumer info without what is not a counter or config: the created time, the last activity times, cluster. */
function infoView(text: string): string {
  const j = JSON.parse(text) as Record<string, unknown> & { delivered?: Record<string, unknown>; ack_floor?: Record<string, unknown> };
  if (j.error !== undefined) return text;
  delete j.created;
  delete j.cluster;
  delete j.delivered?.last_active;
  delete j.ack_floor?.last_active;
  return JSON.stringify(j);
}

class Side {
  srv!: SpawnedServer;
  nc!: NatsConnection;
  readonly dir: string;
  /** The ack subject of each consumer's last delivery of each stream sequence. */
  private readonly acks = new Map<string, string>();
  /** What the waiting pull requests got. */
  private pulled: string[] = [];
  constructor(readonly kind: ServerKind) {
    this.dir = mkdtempSync(join(tmpdir(), `tsnats-jsc-${kind}-`));
  }
  async start(): Promise<void> {
    this.srv = await spawnServer(this.kind, { args: ['-js', '-sd', this.dir] });
    this.nc = await connect({ port: this.srv.port });
  }
  async stop(): Promise<void> {
    await this.nc?.close().catch(() => {});
    await this.srv?.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Runs one step: what it produced, as a line to compare. */
  async step(s: Step): Promise<string> {
    const nc = this.nc;
    switch (s[0]) {
      case 'api': {
        const m = await nc.request(s[1], s[2] === undefined ? '' : JSON.stringify(s[2]), { timeout: 2000 });
        return m.string().replace(TIME, 'TIME');
      }
      case 'pub': {
        const h = s[3] === undefined ? undefined : headers();
        for (const [k, v] of Object.entries(s[3] ?? {})) h!.set(k, v);
        return (await nc.request(s[1], s[2] ?? '', { timeout: 2000, headers: h })).string();
      }
      case 'fetch': {
        const [, stream, consumer, batch] = s;
        const inbox = createInbox();
        const got: string[] = [];
        const done = new Promise<void>((resolve) => {
          const sub = nc.subscribe(inbox, {
            callback: (_e, m: Msg) => {
              if (m.headers?.code !== undefined && m.headers.code >= 400) {
                got.push(`status ${m.headers.code}`);
                sub.unsubscribe();
                return resolve();
              }
              // $JS.ACK.<stream>.<consumer>.<dc>.<sseq>.<dseq>.<ts>.<pending>
              const t = m.reply!.split('.');
              this.acks.set(`${consumer}:${t[5]}`, m.reply!);
              got.push(`${m.subject} dc=${t[4]} sseq=${t[5]} dseq=${t[6]} pending=${t[8]}`);
              if (got.length === batch) {
                sub.unsubscribe();
                resolve();
              }
            },
          });
        });
        await nc.flush();
        nc.publish(`$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`, JSON.stringify({ batch, no_wait: true }), { reply: inbox });
        await Promise.race([done, sleep(3000)]);
        return got.join(', ');
      }
      case 'ack': {
        const [, consumer, seq, kind] = s;
        const reply = this.acks.get(`${consumer}:${seq}`);
        if (reply === undefined) return `${consumer} got no ${seq}`;
        // +WPI, -NAK and +TERM are not answered: a flush after them orders what follows.
        if (kind !== undefined && kind !== '+ACK') {
          nc.publish(reply, kind);
          await nc.flush();
          await sleep(20);
          return `${kind} ${seq}`;
        }
        await nc.request(reply, '+ACK', { timeout: 2000 });
        return `+ACK ${seq}`;
      }
      case 'pull': {
        const [, stream, consumer, batch, expires] = s;
        const inbox = createInbox();
        nc.subscribe(inbox, {
          callback: (_e, m: Msg) => {
            if (m.headers?.code !== undefined) return void this.pulled.push(`${consumer}: status ${m.headers.code}`);
            const t = m.reply!.split('.');
            this.acks.set(`${consumer}:${t[5]}`, m.reply!);
            this.pulled.push(`${consumer}: ${m.subject} dc=${t[4]} sseq=${t[5]} dseq=${t[6]} pending=${t[8]}`);
          },
        });
        await nc.flush();
        nc.publish(`$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`, JSON.stringify({ batch, expires: expires * 1e6 }), { reply: inbox });
        await nc.flush();
        await sleep(50);
        return 'pulled';
      }
      case 'sub': {
        const [, consumer, subject] = s;
        nc.subscribe(subject, {
          callback: (_e, m: Msg) => {
            if (m.headers?.code !== undefined) return;
            const t = m.reply!.split('.');
            this.acks.set(`${consumer}:${t[5]}`, m.reply!);
            this.pulled.push(`${consumer}: ${m.subject} dc=${t[4]} sseq=${t[5]} dseq=${t[6]} pending=${t[8]}`);
          },
        });
        await nc.flush();
        return 'subscribed';
      }
      case 'got': {
        // By consumer (stable: each consumer's in the order received); consumers deliver independently.
        const by = (l: string): string => l.slice(0, l.indexOf(':'));
        const got = this.pulled.sort((a, b) => (by(a) < by(b) ? -1 : by(a) > by(b) ? 1 : 0)).join(', ');
        this.pulled = [];
        return got;
      }
      case 'info': {
        const m = await nc.request(`$JS.API.CONSUMER.INFO.${s[1]}.${s[2]}`, '', { timeout: 2000 });
        return infoView(m.string());
      }
      case 'restart': {
        await this.nc.close();
        if (s[1]) {
          // Both servers write a consumer's state within about 100 ms of a change.
          await sleep(400);
          this.srv.proc.kill('SIGKILL');
        }
        await this.srv.stop();
        await this.start();
        return 'restarted';
      }
      case 'sleep':
        await sleep(s[1]);
        return 'slept';
    }
  }
}

let sides: Side[] = [];
afterEach(async () => {
  await Promise.all(sides.map((s) => s.stop()));
  sides = [];
});

/** Runs `steps` on both servers, step by step, and lists every step whose result differs. */
async function compare(steps: Step[]): Promise<string[]> {
  const ours = new Side('tsnats');
  const theirs = new Side('nats-server');
  sides = [ours, theirs];
  await Promise.all([ours.start(), theirs.start()]);
  const diffs: string[] = [];
  const want: string[] = [];
  for (let i = 0; i < steps.length; i++) {
    const [g, w] = await Promise.all([ours.step(steps[i]!), theirs.step(steps[i]!)]);
    want.push(w);
    if (g !== w) diffs.push(`step ${i} ${JSON.stringify(steps[i])}\n  ours:   ${g}\n  theirs: ${w}`);
  }
  expect(diffs.join('\n')).toBe('');
  return want;
}

const stream = (name: string, extra: Record<string, unknown> = {}): Step => [
  'api',
  `$JS.API.STREAM.CREATE.${name}`,
  { name, subjects: [`${name.toLowerCase()}.>`], storage: 'file', ...extra },
];
const consumer = (s: string, name: string, cfg: Record<string, unknown>): Step => [
  'api',
  `$JS.API.CONSUMER.DURABLE.CREATE.${s}.${name}`,
  { stream_name: s, config: { durable_name: name, ack_policy: 'explicit', ...cfg } },
];

describe('consumer info counters match nats-server -js', () => {
  it('before the first delivery: delivered and ack floor are the start sequence - 1, for every deliver policy', async () => {
    const names: [string, Record<string, unknown>][] = [
      ['ALL', { deliver_policy: 'all' }],
      ['LAST', { deliver_policy: 'last' }],
      ['LASTF', { deliver_policy: 'last', filter_subject: 's.a' }],
      ['NEW', { deliver_policy: 'new' }],
      ['SEQ', { deliver_policy: 'by_start_sequence', opt_start_seq: 3 }],
      ['SEQ0', { deliver_policy: 'by_start_sequence', opt_start_seq: 1 }],
      ['SEQFAR', { deliver_policy: 'by_start_sequence', opt_start_seq: 99 }],
      ['LPS', { deliver_policy: 'last_per_subject', filter_subject: 's.>' }],
      ['LPSF', { deliver_policy: 'last_per_subject', filter_subject: 's.a' }],
      ['PAST', { deliver_policy: 'by_start_time', opt_start_time: '2000-01-01T00:00:00Z' }],
      ['FUT', { deliver_policy: 'by_start_time', opt_start_time: '2100-01-01T00:00:00Z' }],
    ];
    const steps: Step[] = [stream('S'), stream('E')];
    // An empty stream first: nothing to start from.
    for (const [n, cfg] of names) steps.push(consumer('E', n, cfg), ['info', 'E', n]);
    for (const subj of ['s.a', 's.b', 's.a', 's.c', 's.b', 's.d']) steps.push(['pub', subj, 'x']);
    for (const [n, cfg] of names) steps.push(consumer('S', n, cfg), ['info', 'S', n]);
    // One delivery each, an ack, then the rest.
    for (const [n] of names) steps.push(['fetch', 'S', n, 1], ['info', 'S', n]);
    steps.push(['pub', 's.e', 'y']);
    for (const [n] of names) steps.push(['fetch', 'S', n, 10], ['info', 'S', n]);
    const want = await compare(steps);
    expect(want.some((w) => w.includes('"delivered":{"consumer_seq":0,"stream_seq":2}'))).toBe(true);
  });
});

/**
 * Consumers C (all), F (filter p.a), G (filter p.b) and, with `wildcard`, W (p.*), each with
 * pending and acked messages, and one redelivery of C's.
 */
function purgeSetup(s: string, storage: string, wildcard: boolean): Step[] {
  const p = s.toLowerCase();
  const steps: Step[] = [stream(s, { storage })];
  const all: [string, string][] = [['C', ''], ['F', `${p}.a`], ['G', `${p}.b`]];
  if (wildcard) all.push(['W', `${p}.*`]);
  for (const [n, f] of all) steps.push(consumer(s, n, f === '' ? {} : { filter_subject: f }));
  for (const subj of ['a', 'b', 'a', 'c', 'b', 'a', 'b', 'c']) steps.push(['pub', `${p}.${subj}`, 'x']);
  for (const [n] of all) steps.push(['fetch', s, n, 3]);
  steps.push(['ack', 'C', 1], ['ack', 'C', 3], ['ack', 'F', 3], ['ack', 'G', 2]);
  if (wildcard) steps.push(['ack', 'W', 2]);
  steps.push(['ack', 'C', 2, '-NAK'], ['fetch', s, 'C', 1]);
  for (const [n] of all) steps.push(['info', s, n]);
  return steps;
}

function afterPurge(s: string, wildcard: boolean): Step[] {
  const p = s.toLowerCase();
  const names = wildcard ? ['C', 'F', 'G', 'W'] : ['C', 'F', 'G'];
  // nats-server terminates the pending messages a memory store removed from other goroutines: a
  // moment for them (100 ms was once too short under CI's parallel files: its ack floor lagged).
  const steps: Step[] = [['sleep', 300]];
  for (const n of names) steps.push(['info', s, n]);
  steps.push(['pub', `${p}.a`, 'y'], ['pub', `${p}.b`, 'y']);
  for (const n of names) steps.push(['fetch', s, n, 10], ['info', s, n]);
  return steps;
}

describe('a purge moves the consumers as nats-server\'s consumer.purge', () => {
  // nats-server's file store counts one message too many for a wildcard filter after a purge by
  // subject (its per-block subject state, see README, differences): W is left out there. Its
  // memory store removes the messages of a purge by subject one by one, as deletes: each
  // pending one is terminated too.
  const purges: [string, Record<string, unknown> | undefined, boolean][] = [
    ['all', undefined, false],
    ['all, {}', {}, false],
    ['filter', { filter: 'p.a' }, true],
    ['filter of all the rest', { filter: 'p.c' }, true],
    ['keep', { keep: 3 }, false],
    ['seq', { seq: 5 }, false],
    ['filter and keep', { filter: 'p.b', keep: 1 }, true],
    ['filter and seq', { filter: 'p.a', seq: 4 }, true],
  ];
  for (const storage of ['file', 'memory']) {
    for (const [what, req, filtered] of purges) {
      it(`purge (${storage}): ${what}`, async () => {
        const wildcard = !filtered || storage === 'memory';
        await compare([...purgeSetup('P', storage, wildcard), ['api', '$JS.API.STREAM.PURGE.P', req], ...afterPurge('P', wildcard)]);
      });
    }
  }
  it('a rollup purges the same way', async () => {
    const steps = purgeSetup('P', 'file', false);
    steps[0] = stream('P', { allow_rollup_hdrs: true });
    await compare([...steps, ['pub', 'p.b', 'z', { 'Nats-Rollup': 'sub' }], ['api', '$JS.API.STREAM.INFO.P'], ...afterPurge('P', false)]);
  });
});

describe('after a restart, the consumers resume from the state nats-server\'s file store keeps', () => {
  for (const retention of ['limits', 'interest', 'workqueue']) {
    for (const kill of [false, true]) {
      it(`${retention} retention, ${kill ? 'kill -9' : 'clean stop'}`, async () => {
        const wq = retention === 'workqueue';
        const steps: Step[] = [stream('R', { retention })];
        // A work queue takes one consumer per subject: A takes r.a, B r.b.
        steps.push(consumer('R', 'A', { filter_subject: 'r.a' }), consumer('R', 'B', wq ? { filter_subject: 'r.b' } : { ack_policy: 'all' }));
        if (!wq) steps.push(consumer('R', 'N', { ack_policy: 'none' }));
        for (const subj of ['a', 'b', 'a', 'a', 'b', 'a', 'b', 'a']) steps.push(['pub', `r.${subj}`, 'x']);
        const names = wq ? ['A', 'B'] : ['A', 'B', 'N'];
        for (const n of names) steps.push(['fetch', 'R', n, 4]);
        // Out of order acks, a redelivery, ack all from the middle.
        steps.push(['ack', 'A', 3], ['ack', 'A', 1], ['ack', 'A', 6], ['ack', 'A', 4, '-NAK'], ['fetch', 'R', 'A', 1]);
        steps.push(wq ? ['ack', 'B', 5] : ['ack', 'B', 3]);
        for (const n of names) steps.push(['info', 'R', n]);
        // A moment after the restart: the restore of streams and consumers may go on after the port is open.
        steps.push(['api', '$JS.API.STREAM.INFO.R'], ['restart', kill], ['sleep', 200]);
        for (const n of names) steps.push(['info', 'R', n]);
        // After a kill -9 nats-server 2.9's file store brings removed messages back (README, differences).
        if (!kill) steps.push(['api', '$JS.API.STREAM.INFO.R']);
        // Acks after the restart move the restored floors as nats-server's.
        steps.push(['ack', 'A', 4], ['fetch', 'R', 'A', 1], ['ack', 'A', 8]);
        for (const n of names) steps.push(['info', 'R', n]);
        await compare(steps);
      });
    }
  }
});

describe('last_per_subject', () => {
  it('deliveries, acks and counters', async () => {
    const steps: Step[] = [stream('L')];
    for (const subj of ['a', 'b', 'a', 'c', 'b', 'a', 'd']) steps.push(['pub', `l.${subj}`, 'x']);
    steps.push(consumer('L', 'X', { deliver_policy: 'last_per_subject', filter_subject: 'l.*' }), consumer('L', 'Y', { deliver_policy: 'last_per_subject', filter_subject: 'l.b' }));
    steps.push(consumer('L', 'Z', { deliver_policy: 'last_per_subject', filter_subject: 'l.>', ack_policy: 'all' }));
    for (const n of ['X', 'Y', 'Z']) steps.push(['info', 'L', n], ['fetch', 'L', n, 2], ['info', 'L', n]);
    steps.push(['pub', 'l.a', 'y'], ['pub', 'l.b', 'y'], ['pub', 'l.e', 'y']);
    for (const n of ['X', 'Y', 'Z']) steps.push(['info', 'L', n], ['fetch', 'L', n, 10], ['info', 'L', n]);
    steps.push(['ack', 'X', 6], ['ack', 'X', 5], ['ack', 'Y', 5], ['ack', 'Z', 8]);
    for (const n of ['X', 'Y', 'Z']) steps.push(['info', 'L', n]);
    // A push consumer: the list, then what comes.
    steps.push(consumer('L', 'P', { deliver_policy: 'last_per_subject', filter_subject: 'l.*', deliver_subject: 'lp' }), ['info', 'L', 'P']);
    steps.push(['sub', 'P', 'lp'], ['sleep', 100], ['info', 'L', 'P'], ['got'], ['ack', 'P', 7], ['pub', 'l.a', 'z'], ['sleep', 100], ['info', 'L', 'P'], ['got']);
    const want = await compare(steps);
    // Every delivery of the list is a pending ack (nats-server's trackPending leaves none out).
    expect(want.some((w) => w.startsWith('P: l.') && w.split(', ').length === 5)).toBe(true);
    expect(want.some((w) => w.includes('"name":"P"') && w.includes('"num_ack_pending":5'))).toBe(true);
  });
});

describe('a message deleted while pending', () => {
  it('is terminated: acked, and the ack floor moves', async () => {
    const steps: Step[] = [stream('D')];
    steps.push(consumer('D', 'C', {}), consumer('D', 'A', { ack_policy: 'all' }), consumer('D', 'F', { filter_subject: 'd.b' }));
    for (const subj of ['a', 'b', 'a', 'b', 'a']) steps.push(['pub', `d.${subj}`, 'x']);
    for (const n of ['C', 'A', 'F']) steps.push(['fetch', 'D', n, 3]);
    steps.push(['ack', 'C', 2, '-NAK'], ['fetch', 'D', 'C', 1]);
    steps.push(['api', '$JS.API.STREAM.MSG.DELETE.D', { seq: 1 }], ['api', '$JS.API.STREAM.MSG.DELETE.D', { seq: 2, no_erase: true }]);
    // nats-server terminates from another goroutine: a moment for it.
    steps.push(['sleep', 100]);
    for (const n of ['C', 'A', 'F']) steps.push(['info', 'D', n], ['fetch', 'D', n, 10], ['info', 'D', n]);
    await compare(steps);
  });
});

describe('messages the limits remove while pending', () => {
  for (const storage of ['file', 'memory']) {
    it(`max_msgs, discard old (${storage})`, async () => {
      const steps: Step[] = [stream('T', { storage, max_msgs: 3 })];
      steps.push(consumer('T', 'C', {}), consumer('T', 'A', { ack_policy: 'all' }));
      for (const subj of ['a', 'b', 'a']) steps.push(['pub', `t.${subj}`, 'x']);
      for (const n of ['C', 'A']) steps.push(['fetch', 'T', n, 3]);
      steps.push(['ack', 'C', 2], ['pub', 't.c', 'y'], ['pub', 't.d', 'y'], ['sleep', 100]);
      for (const n of ['C', 'A']) steps.push(['info', 'T', n], ['fetch', 'T', n, 10], ['info', 'T', n]);
      await compare(steps);
    });
  }
});

describe('waiting requests and redeliveries', () => {
  it('num_waiting, num_redelivered and the ack floor through ack_wait expiries, naks and max_deliver', async () => {
    const steps: Step[] = [stream('V')];
    steps.push(consumer('V', 'C', { ack_wait: 400_000_000, max_deliver: 2 }), consumer('V', 'T', { ack_wait: 400_000_000, filter_subject: 'v.b' }));
    for (const subj of ['a', 'b', 'a']) steps.push(['pub', `v.${subj}`, 'x']);
    steps.push(['pull', 'V', 'C', 5, 3000], ['pull', 'V', 'T', 1, 3000], ['pull', 'V', 'T', 2, 3000], ['info', 'V', 'C'], ['info', 'V', 'T'], ['got']);
    steps.push(['pub', 'v.b', 'y'], ['sleep', 50], ['info', 'V', 'C'], ['info', 'V', 'T'], ['got']);
    steps.push(['ack', 'C', 2], ['ack', 'T', 4], ['ack', 'C', 3, '-NAK'], ['info', 'V', 'C'], ['got']);
    // ack_wait passes: 1 and 3 go again (to C's waiting request), T's 2 has nobody waiting.
    steps.push(['sleep', 600], ['info', 'V', 'C'], ['info', 'V', 'T'], ['got']);
    steps.push(['ack', 'C', 3], ['info', 'V', 'C']);
    // Past max_deliver: 1 is not sent again and leaves the pending list.
    steps.push(['sleep', 600], ['fetch', 'V', 'C', 5], ['info', 'V', 'C'], ['fetch', 'V', 'T', 5], ['info', 'V', 'T']);
    // Expired requests leave num_waiting.
    steps.push(['sleep', 2000], ['info', 'V', 'C'], ['info', 'V', 'T'], ['got']);
    const want = await compare(steps);
    // The script reaches what it is about.
    expect(want.some((w) => w.includes('"num_waiting":1'))).toBe(true);
    expect(want.some((w) => w.includes('"num_redelivered":2'))).toBe(true);
  });
});
