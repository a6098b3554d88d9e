// Byte scripts ("scenarios") played over raw TCP against a server, and the transcript each
// connection received. Used by the differential test (same script against nats-server and
// tsnats, transcripts compared after INFO normalization).

import { RawClient, showBytes, waitQuiet } from './raw-client.js';
import { normalizeInfo } from './normalize-info.js';

export type Step =
  | { kind: 'send'; conn: number; data: Buffer }
  | { kind: 'wait'; ms: number }
  | { kind: 'open'; conn: number }
  | { kind: 'close'; conn: number }
  /** PING on conn and wait for its PONG: orders work across connections deterministically. */
  | { kind: 'sync'; conn: number };

export type ChunkMode = 'whole' | 'random' | 'bytes';

export interface ConnResult {
  /** Everything received, latin1, INFO normalized. */
  text: string;
  closedByServer: boolean;
  /** Index of the step after which the server close was first seen (null = not closed). */
  closedAtStep: number | null;
  /** Connect failure (e.g. ECONNREFUSED), if the connection could not be opened. */
  connectError?: string;
  /** Server-initiated `PING`s removed from `text` (see Scenario.serverPings); not compared. */
  pingsRemoved?: number;
}

export interface Want {
  conn?: number;
  /** exact transcript after the first INFO line; `<EOF>` appended when the server closed */
  exact?: string;
  /** the transcript (same form) must contain these */
  has?: (string | RegExp)[];
  /** ...and must not contain these */
  not?: (string | RegExp)[];
  closed?: boolean;
  /** compare `exact` as a multiset of frames (delivery order to several subs of one connection is undefined) */
  unordered?: boolean;
  /** the (normalized) first INFO line must contain these */
  info?: (string | RegExp)[];
}

export interface Scenario {
  name: string;
  /** config file text (scenarios with the same text share servers) */
  config?: string;
  steps: Step[];
  /** also play variants with each send cut into random pieces / single bytes (default: random on) */
  chunk?: boolean;
  bytewise?: boolean;
  /** per-step settle: wait until all connections are quiet this long (default 30 ms) */
  settleMs?: number;
  /** quiet time at the end (default 80 ms) */
  finalQuietMs?: number;
  /**
   * For scenarios with random outcomes (queue groups): compare this summary instead of the
   * raw transcripts.
   */
  summarize?: (conns: ConnResult[]) => unknown;
  /** protocol.md claims, checked against the nats-server transcript */
  want?: Want[];
  /**
   * Keep server-initiated `PING\r\n` frames in the transcripts. By default they are removed:
   * the ~2 s RTT ping after CONNECT lands wherever scheduling puts it on a loaded machine.
   * Scenarios about keepalive set this.
   */
  serverPings?: boolean;
  /** compare closedAtStep (default true) */
  compareCloseStep?: boolean;
  /**
   * Documents a nats-server quirk tsnats need not copy: only the `want` claims are checked
   * (against nats-server); the target's transcript is not compared. Give the reason.
   */
  refOnly?: string;
}

// ---- DSL --------------------------------------------------------------------------------

const toBuf = (d: string | Buffer): Buffer => (typeof d === 'string' ? Buffer.from(d, 'utf8') : d);
/** send on connection 0 */
export const s = (data: string | Buffer): Step => ({ kind: 'send', conn: 0, data: toBuf(data) });
/** send on connection k */
export const on = (conn: number, data: string | Buffer): Step => ({ kind: 'send', conn, data: toBuf(data) });
export const wait = (ms: number): Step => ({ kind: 'wait', ms });
export const open = (conn: number): Step => ({ kind: 'open', conn });
export const close = (conn: number): Step => ({ kind: 'close', conn });
export const sync = (conn = 0): Step => ({ kind: 'sync', conn });

/** CONNECT line with the given JSON text */
export const CONNECT = (json = '{}'): string => `CONNECT ${json}\r\n`;
/** the quiet, header-capable client most real clients are */
export const QUIET = CONNECT('{"verbose":false,"pedantic":false,"headers":true,"no_responders":true,"protocol":1}');
/** PUB with the size computed (UTF-8 bytes) */
export const pub = (subject: string, payload: string, reply?: string): string =>
  `PUB ${subject}${reply ? ` ${reply}` : ''} ${Buffer.byteLength(payload)}\r\n${payload}\r\n`;
/** HPUB with sizes computed from header block and body */
export const hpub = (subject: string, hdrs: string, payload: string, reply?: string): string => {
  const h = Buffer.byteLength(hdrs);
  const t = h + Buffer.byteLength(payload);
  return `HPUB ${subject}${reply ? ` ${reply}` : ''} ${h} ${t}\r\n${hdrs}${payload}\r\n`;
};

// ---- playing ----------------------------------------------------------------------------

/** Deterministic PRNG (mulberry32) seeded from a string. */
export function rngFor(seedText: string): () => number {
  let h = 2166136261;
  for (let i = 0; i < seedText.length; i++) h = Math.imul(h ^ seedText.charCodeAt(i), 16777619);
  let a = h >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function cutPieces(data: Buffer, mode: ChunkMode, rnd: () => number): Buffer[] {
  if (mode === 'whole' || data.length <= 1) return [data];
  if (mode === 'bytes') return [...data].map((b) => Buffer.from([b]));
  const n = Math.min(data.length, 2 + Math.floor(rnd() * 6));
  const cuts = new Set<number>();
  while (cuts.size < n - 1) cuts.add(1 + Math.floor(rnd() * (data.length - 1)));
  const sorted = [...cuts].sort((x, y) => x - y);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of sorted) {
    out.push(data.subarray(prev, c));
    prev = c;
  }
  out.push(data.subarray(prev));
  return out;
}

export interface PlayOptions {
  mode?: ChunkMode;
  seed?: string;
  /** overrides the scenario's settle time (used for a slower confirmation run) */
  settleMs?: number;
}

async function openConn(port: number): Promise<RawClient | string> {
  try {
    const c = await RawClient.connect(port);
    try {
      await c.expect('\n', 3000); // the INFO line (always sent, even when rejecting)
    } catch {
      /* transcript will show what came */
    }
    return c;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? String(e);
  }
}

/** Play a scenario against a server on `port`; returns one result per connection index. */
export async function play(port: number, sc: Scenario, opts: PlayOptions = {}): Promise<ConnResult[]> {
  const mode = opts.mode ?? 'whole';
  const rnd = rngFor(opts.seed ?? sc.name);
  const settle = opts.settleMs ?? sc.settleMs ?? 30;
  const conns: (RawClient | undefined)[] = [];
  const errors: (string | undefined)[] = [];
  const closedAt: (number | null)[] = [];
  const openK = async (k: number): Promise<void> => {
    const c = await openConn(port);
    if (typeof c === 'string') errors[k] = c;
    else conns[k] = c;
    closedAt[k] = null;
  };
  const live = (): RawClient[] => conns.filter((c): c is RawClient => c !== undefined);
  const mark = (step: number): void => {
    conns.forEach((c, k) => {
      if (c && c.isClosed && c.closedByServer && closedAt[k] === null) closedAt[k] = step;
    });
  };
  try {
    await openK(0);
    mark(-1);
    for (let i = 0; i < sc.steps.length; i++) {
      const st = sc.steps[i]!;
      switch (st.kind) {
        case 'open':
          await openK(st.conn);
          await waitQuiet(live(), settle);
          break;
        case 'close': {
          const c = conns[st.conn];
          if (c) {
            if (c.isClosed) {
              /* already closed by the server */
            } else await c.close();
          }
          await waitQuiet(live(), settle);
          break;
        }
        case 'wait':
          await new Promise((r) => setTimeout(r, st.ms));
          break;
        case 'sync': {
          const c = conns[st.conn];
          if (c && !c.isClosed) {
            const before = countPongs(c);
            c.send('PING\r\n');
            const deadline = performance.now() + 3000;
            while (countPongs(c) <= before && !c.isClosed && !c.ended && performance.now() < deadline) {
              await new Promise((r) => setTimeout(r, 2));
            }
          }
          await waitQuiet(live(), settle);
          break;
        }
        case 'send': {
          const c = conns[st.conn];
          if (c && !c.isClosed) await c.sendPieces(cutPieces(st.data, mode, rnd));
          await waitQuiet(live(), settle);
          break;
        }
      }
      mark(i);
    }
    await waitQuiet(live(), Math.max(sc.finalQuietMs ?? 80, opts.settleMs ?? 0));
    mark(sc.steps.length);
    const out: ConnResult[] = [];
    const n = Math.max(conns.length, errors.length);
    for (let k = 0; k < n; k++) {
      const c = conns[k];
      if (!c) {
        out.push({ text: '', closedByServer: false, closedAtStep: null, connectError: errors[k] ?? 'never opened' });
        continue;
      }
      let text = normalizeInfo(c.received().toString('latin1'));
      let pingsRemoved = 0;
      if (!sc.serverPings) {
        const fr = frames(text);
        const kept = fr.filter((f) => f !== 'PING\r\n');
        pingsRemoved = fr.length - kept.length;
        text = kept.join('');
      }
      out.push({ text, closedByServer: c.closedByServer, closedAtStep: closedAt[k] ?? null, ...(pingsRemoved ? { pingsRemoved } : {}) });
    }
    return out;
  } finally {
    await Promise.all(live().map((c) => c.close()));
  }
}

/** PONG frames received so far (payload-aware: a message body saying PONG does not count). */
function countPongs(c: RawClient): number {
  return frames(c.received().toString('latin1')).filter((f) => f === 'PONG\r\n').length;
}

// ---- comparing and showing -----------------------------------------------------------------

/** Transcript after the first INFO line, with `<EOF>` when the server closed. */
export function tailOf(r: ConnResult): string {
  if (r.connectError) return `<connect error ${r.connectError}>`;
  const i = r.text.startsWith('INFO ') ? r.text.indexOf('\n') : -1;
  return r.text.slice(i + 1) + (r.closedByServer ? '<EOF>' : '');
}

/** The comparable form of a run: one entry per connection. */
export function comparable(sc: Scenario, conns: ConnResult[]): unknown {
  if (sc.summarize) return sc.summarize(conns);
  const cmpStep = sc.compareCloseStep ?? true;
  return conns.map((c) => ({
    text: c.connectError ? `<connect error ${c.connectError}>` : c.text,
    closedByServer: c.closedByServer,
    ...(cmpStep ? { closedAtStep: c.closedAtStep } : {}),
  }));
}

export function formatRun(label: string, conns: ConnResult[]): string {
  const lines = [`=== ${label} ===`];
  conns.forEach((c, k) => {
    const state = c.connectError
      ? `connect error ${c.connectError}`
      : c.closedByServer
        ? `closed by server after step ${c.closedAtStep}`
        : 'open at end';
    const pings = c.pingsRemoved ? `, ${c.pingsRemoved} server PING(s) removed` : '';
    lines.push(`--- conn ${k} (${state}${pings}) ---`);
    lines.push(
      showBytes(c.text)
        .split('\n')
        .map((l) => `  | ${l.length > 600 ? `${l.slice(0, 300)} ...(${l.length - 600} more)... ${l.slice(-300)}` : l}`)
        .join('\n'),
    );
  });
  return lines.join('\n');
}

export function formatScript(sc: Scenario): string {
  return sc.steps
    .map((st, i) => {
      switch (st.kind) {
        case 'send':
          return `${i}: conn ${st.conn} send ${JSON.stringify(st.data.length > 300 ? `${st.data.subarray(0, 300).toString('latin1')}...(${st.data.length} bytes)` : st.data.toString('latin1'))}`;
        case 'wait':
          return `${i}: wait ${st.ms} ms`;
        default:
          return `${i}: ${st.kind} conn ${st.conn}`;
      }
    })
    .join('\n');
}

/** Check a scenario's `want` claims against a run; returns a list of failures. */
export function checkWants(sc: Scenario, conns: ConnResult[]): string[] {
  const fails: string[] = [];
  for (const w of sc.want ?? []) {
    const k = w.conn ?? 0;
    const r = conns[k];
    if (!r) {
      fails.push(`conn ${k}: no such connection`);
      continue;
    }
    const t = tailOf(r);
    // wants are written as text; transcripts are latin1 views of bytes
    const b = (x: string | RegExp): string | RegExp => (typeof x === 'string' ? Buffer.from(x, 'utf8').toString('latin1') : x);
    if (w.exact !== undefined) {
      const e = b(w.exact) as string;
      const same = w.unordered ? sameFrames(t, e) : t === e;
      if (!same) fails.push(`conn ${k}: transcript\n${showBytes(t)}\n  differs from expected${w.unordered ? ' (in any order)' : ''}\n${showBytes(e)}`);
    }
    for (const h of (w.has ?? []).map(b)) {
      const ok = typeof h === 'string' ? t.includes(h) : h.test(t);
      if (!ok) fails.push(`conn ${k}: missing ${typeof h === 'string' ? JSON.stringify(h) : String(h)} in\n${showBytes(t)}`);
    }
    for (const h of (w.not ?? []).map(b)) {
      const bad = typeof h === 'string' ? t.includes(h) : h.test(t);
      if (bad) fails.push(`conn ${k}: unexpected ${typeof h === 'string' ? JSON.stringify(h) : String(h)} in\n${showBytes(t)}`);
    }
    const line0 = r.text.slice(0, r.text.indexOf('\n') + 1);
    for (const h of (w.info ?? []).map(b)) {
      const ok = typeof h === 'string' ? line0.includes(h) : h.test(line0);
      if (!ok) fails.push(`conn ${k}: INFO line lacks ${typeof h === 'string' ? JSON.stringify(h) : String(h)}:\n${line0}`);
    }
    if (w.closed !== undefined && r.closedByServer !== w.closed) {
      fails.push(`conn ${k}: expected ${w.closed ? '' : 'no '}server close, got ${r.closedByServer ? '' : 'no '}close`);
    }
  }
  return fails;
}

// ---- frames (for order-insensitive or counting summaries) -----------------------------------

function sameFrames(a: string, b: string): boolean {
  const fa = frames(a).sort();
  const fb = frames(b).sort();
  return fa.length === fb.length && fa.every((x, i) => x === fb[i]);
}

/** Summary for scenarios where several subscriptions of one connection match: frames as a sorted list. */
export function sortedFrames(conns: ConnResult[]): unknown {
  return conns.map((c) => ({ frames: frames(c.text).sort(), closedByServer: c.closedByServer, closedAtStep: c.closedAtStep }));
}

/** Split a transcript into protocol frames (MSG/HMSG include their payload). */
export function frames(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    const nl = text.indexOf('\n', i);
    if (nl < 0) {
      out.push(text.slice(i));
      break;
    }
    const line = text.slice(i, nl + 1);
    let end = nl + 1;
    const m = /^(MSG|HMSG) (.*)\r\n$/.exec(line);
    if (m) {
      const args = m[2]!.split(' ');
      const size = Number(args[args.length - 1]);
      if (Number.isFinite(size)) end = Math.min(text.length, nl + 1 + size + 2);
    }
    out.push(text.slice(i, end));
    i = end;
  }
  return out;
}
