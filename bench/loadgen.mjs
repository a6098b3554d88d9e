#!/usr/bin/env node
// The load generator for bench/run.mjs: raw NATS protocol over net sockets, one role per process.
// Contract: prints at most one `READY ...` line (roles that must be in place before the
// publisher starts), then exactly one JSON line with the result, and exits 0 when `ok` is true,
// 2 otherwise. Exits by itself when its stdin closes (the orchestrator died) or after --timeout.
//
//   loadgen.mjs pub   --port P --msgs N --size B [--subject S | --registry] [--conns K]
//   loadgen.mjs sub   --port P --expect N [--subject S] [--conns K]
//   loadgen.mjs reg   --port P --expect N [--subs 10000] [--fillers 3]   (registry-heavy receiver)
//   loadgen.mjs resp  --port P --expect N --size B                         (request/reply responder)
//   loadgen.mjs req   --port P --msgs N --size B [--warmup W]              (sequential requester)
//   loadgen.mjs idle  --port P --conns N                                   (idle connections)
//   --ws: P is a websocket listener (no TLS): every connection upgrades first, then speaks the
//         same protocol in binary frames, masked as RFC 6455 requires of a client (a random key
//         per connection; the publisher masks its whole-frame buffer once, before the clock, in
//         frames of at most --ws-frame bytes, default 16 KiB).
//
// Times are CLOCK_MONOTONIC microseconds (process.hrtime), comparable across processes.

import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import net from 'node:net';

const role = process.argv[2];
const args = process.argv.slice(3);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
};
const flag = (name) => args.includes(`--${name}`);
const HOST = opt('host', '127.0.0.1');
const PORT = Number(opt('port', '4222'));
const TIMEOUT_MS = Number(opt('timeout', '60000'));
const STALL_MS = Number(opt('stall', '10000'));
const CONNECT = Buffer.from('CONNECT {"verbose":false,"pedantic":false,"name":"tsnats-bench","lang":"node","version":"0"}\r\n');
const PING = Buffer.from('PING\r\n');
const PONG = Buffer.from('PONG\r\n');
const MAX_LINE = 64 * 1024;
const WS = flag('ws');
/** --ws: the publisher's frames carry at most this many payload bytes. */
const WS_FRAME = Number(opt('ws-frame', String(16 * 1024)));

const nowUs = () => Number(process.hrtime.bigint() / 1000n);
let cpu0 = process.cpuUsage();
let t0 = nowUs();
// Generator CPU is reported from here on (the measured part, not Node's start-up).
function markStart() {
  cpu0 = process.cpuUsage();
  t0 = nowUs();
}
let finished = false;

function finish(result) {
  if (finished) return;
  finished = true;
  const c = process.cpuUsage(cpu0);
  const wallUs = nowUs() - t0;
  result.role = role;
  result.gen_cpu = { user_s: c.user / 1e6, sys_s: c.system / 1e6, wall_s: wallUs / 1e6 };
  process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(result.ok ? 0 : 2));
}
function fail(msg, extra = {}) {
  finish({ ok: false, error: msg, ...extra });
}

process.stdin.on('end', () => fail('stopped by the orchestrator (stdin closed)', progress()));
process.stdin.on('error', () => {});
process.stdin.resume();
setTimeout(() => fail(`timeout after ${TIMEOUT_MS} ms`, progress()), TIMEOUT_MS).unref();
let progress = () => ({});

// Fails the role when `progress()` has not changed for STALL_MS (active roles only: a receiver
// waits for its publisher, so it watches for stalls only once messages flow).
function watchStall() {
  let last = '';
  let since = nowUs();
  const t = setInterval(() => {
    const now = JSON.stringify(progress());
    if (now !== last) {
      last = now;
      since = nowUs();
    } else if (nowUs() - since > STALL_MS * 1000) fail(`stalled: no progress for ${STALL_MS} ms`, progress());
  }, 250);
  t.unref();
  return () => clearInterval(t);
}

/**
 * Incremental NATS server→client frame reader. Counts MSG/HMSG frames by reading each control
 * line and skipping the payload by its size (never scanning it); answers PING; reports PONG,
 * -ERR. Only a split control line is ever copied.
 */
class Reader {
  constructor(sock, onMsg = null) {
    this.sock = sock;
    this.onMsg = onMsg; // (buf, lineStart, lineEnd /* index of \r */, size) => void
    this.count = 0;
    this.pongs = 0;
    this.onPong = null;
    this.skip = 0; // payload bytes (+CRLF) still to skip from a frame split across reads
    this.partial = null; // an incomplete control line carried to the next read
    this.error = null;
    this.fixedHl = 0; // header length (through LF) of the first MSG counted without a callback
    this.fixedLen = 0; // and its whole frame length; 0 = fast path off
  }

  feed(buf) {
    const n = buf.length;
    let i = 0;
    if (this.skip > 0) {
      if (this.skip >= n) {
        this.skip -= n;
        return;
      }
      i = this.skip;
      this.skip = 0;
    }
    if (this.partial !== null) {
      const nl = buf.indexOf(10);
      if (nl < 0) {
        this.partial = Buffer.concat([this.partial, buf]);
        if (this.partial.length > MAX_LINE) this.protoError('control line too long');
        return;
      }
      const line = Buffer.concat([this.partial, buf.subarray(0, nl + 1)]);
      this.partial = null;
      const next = this.step(line, 0, line.length);
      if (next < 0) return this.protoError('bad carried line');
      i = nl + 1 + (next - line.length);
      if (i > n) {
        this.skip = i - n;
        return;
      }
    }
    // Fast path: a frame with the same header length and total length as the last MSG (one
    // subject, one sid, one size: every bench subscription) is recognised by its CR LF at both
    // ends and skipped whole. Payloads are the generator's own 'x' bytes, so a CR LF can only
    // sit at a frame's header end or trailer; anything else takes the full path in step().
    let fast = 0;
    while (i < n) {
      const F = this.fixedLen;
      const H = this.fixedHl;
      if (F !== 0 && i + F <= n && buf[i] === 77 && buf[i + H - 1] === 10 && buf[i + H - 2] === 13 && buf[i + F - 1] === 10 && buf[i + F - 2] === 13) {
        fast++;
        i += F;
        continue;
      }
      const next = this.step(buf, i, n);
      if (next < 0) {
        this.partial = Buffer.from(buf.subarray(i));
        break;
      }
      i = next;
    }
    this.count += fast;
    if (i > n) this.skip = i - n;
  }

  // One op at buf[i]: returns the index after it (may be past n when the payload continues in
  // the next read), or -1 if the control line is incomplete.
  step(buf, i, n) {
    let j = i + 1;
    while (j < n && buf[j] !== 10) j++;
    if (j >= n) return -1;
    const c = buf[i];
    if (c === 77 /* M */ || c === 72 /* H */) {
      const o = c === 72 ? 1 : 0;
      if (buf[i + o] !== 77 || buf[i + o + 1] !== 83 || buf[i + o + 2] !== 71 || buf[i + o + 3] !== 32 || buf[j - 1] !== 13) {
        return this.protoError(`bad frame: ${JSON.stringify(buf.toString('latin1', i, Math.min(j, i + 80)))}`);
      }
      let k = j - 2;
      let size = 0;
      let mul = 1;
      for (;;) {
        const d = buf[k];
        if (d < 48 || d > 57) break;
        size += (d - 48) * mul;
        mul *= 10;
        k--;
      }
      if (mul === 1) return this.protoError('MSG without size');
      this.count++;
      if (this.onMsg !== null) this.onMsg(buf, i, j - 1, size);
      else if (c === 77 && this.fixedLen === 0) {
        this.fixedHl = j + 1 - i;
        this.fixedLen = this.fixedHl + size + 2;
      }
      const next = j + 1 + size + 2;
      if (next <= n && (buf[next - 2] !== 13 || buf[next - 1] !== 10)) return this.protoError('payload not followed by CRLF');
      return next;
    }
    if (c === 80 /* P */) {
      if (buf[i + 1] === 73) this.sock.write(PONG);
      else if (buf[i + 1] === 79) {
        this.pongs++;
        if (this.onPong !== null) this.onPong();
      }
      return j + 1;
    }
    if (c === 73 /* INFO */ || c === 43 /* +OK */) return j + 1;
    if (c === 45 /* -ERR */) {
      this.protoError(`server said ${buf.toString('latin1', i, j - 1)}`);
      return j + 1;
    }
    return this.protoError(`unexpected byte ${c} ${JSON.stringify(buf.toString('latin1', i, Math.min(j, i + 80)))}`);
  }

  protoError(msg) {
    if (this.error === null) this.error = msg;
    fail(msg, progress());
    return Number.MAX_SAFE_INTEGER;
  }
}

/** XORs `src` with `key` (from key byte 0) into `dst` at `off`. */
function maskInto(dst, off, src, key) {
  for (let i = 0; i < src.length; i++) dst[off + i] = src[i] ^ key[i & 3];
}

/**
 * A raw WebSocket client over one TCP connection (no library: the generator must not be the
 * bottleneck), with the net.Socket surface the roles use: 'connect' after the 101, 'data' with
 * the server frames' payloads (binary frames, never compressed: no extension is offered),
 * write() of protocol bytes as one masked binary frame, writeFrames() of bytes masked ahead.
 */
class WsSocket extends EventEmitter {
  constructor(host, port) {
    super();
    this.key = randomBytes(4);
    this.benchClosing = false;
    this.head = Buffer.alloc(0); // the HTTP answer while upgrading, then null
    this.hdr = Buffer.alloc(14); // a frame header split across reads
    this.hdrLen = 0;
    this.rem = -1; // payload bytes left in the current frame; -1 while reading a header
    this.op = 0;
    const raw = (this.raw = net.createConnection({ host, port, noDelay: true }));
    raw.on('connect', () => {
      const k = randomBytes(16).toString('base64');
      raw.write(`GET / HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${k}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    raw.on('data', (b) => this.onData(b));
    raw.on('drain', () => this.emit('drain'));
    raw.on('error', (e) => this.emit('error', e));
    raw.on('close', () => this.emit('close'));
  }
  onData(b) {
    if (this.head !== null) {
      const h = Buffer.concat([this.head, b]);
      const end = h.indexOf('\r\n\r\n');
      if (end < 0) {
        this.head = h;
        return;
      }
      this.head = null;
      if (!h.toString('latin1', 0, 12).startsWith('HTTP/1.1 101')) {
        this.emit('error', new Error(`upgrade refused: ${h.toString('latin1', 0, h.indexOf('\r\n'))}`));
        return;
      }
      this.emit('connect');
      b = h.subarray(end + 4);
    }
    const n = b.length;
    let i = 0;
    while (i < n) {
      if (this.rem < 0) {
        const hd = this.hdr;
        while (this.hdrLen < 2 && i < n) hd[this.hdrLen++] = b[i++];
        if (this.hdrLen < 2) return;
        const l7 = hd[1] & 0x7f;
        const need = l7 === 126 ? 4 : l7 === 127 ? 10 : 2;
        while (this.hdrLen < need && i < n) hd[this.hdrLen++] = b[i++];
        if (this.hdrLen < need) return;
        this.op = hd[0] & 0x0f;
        this.rem = l7 === 126 ? hd.readUInt16BE(2) : l7 === 127 ? Number(hd.readBigUInt64BE(2)) : l7;
        this.hdrLen = 0;
        if (this.op !== 2 && this.op !== 0 && this.op !== 8) return void this.emit('error', new Error(`unexpected websocket opcode ${this.op}`));
      }
      const take = Math.min(this.rem, n - i);
      if (this.op === 8) {
        this.raw.destroy();
        return;
      }
      if (take > 0) this.emit('data', b.subarray(i, i + take));
      i += take;
      this.rem -= take;
      if (this.rem === 0) this.rem = -1;
    }
  }
  /** One masked binary frame with `b` (copied: the caller may reuse it). */
  write(b) {
    return this.raw.write(this.frames(b));
  }
  /** `b` cut into masked binary frames of at most WS_FRAME payload bytes, as one buffer. */
  frames(b) {
    const parts = [];
    for (let off = 0; off < b.length || off === 0; off += WS_FRAME) {
      const p = b.subarray(off, Math.min(b.length, off + WS_FRAME));
      const hl = p.length <= 125 ? 2 : p.length < 65536 ? 4 : 10;
      const f = Buffer.allocUnsafe(hl + 4 + p.length);
      f[0] = 0x82;
      if (hl === 2) f[1] = 0x80 | p.length;
      else if (hl === 4) {
        f[1] = 0x80 | 126;
        f.writeUInt16BE(p.length, 2);
      } else {
        f[1] = 0x80 | 127;
        f.writeBigUInt64BE(BigInt(p.length), 2);
      }
      this.key.copy(f, hl);
      maskInto(f, hl + 4, p, this.key);
      parts.push(f);
      if (b.length === 0) break;
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }
  /** Bytes already framed and masked by frames(). */
  writeFrames(f) {
    return this.raw.write(f);
  }
  cork() {
    this.raw.cork();
  }
  uncork() {
    this.raw.uncork();
  }
  end(cb) {
    this.raw.end(cb);
  }
  destroy() {
    this.raw.destroy();
  }
}

/** Connects, sends CONNECT + `setup` + PING and resolves with {sock, reader} once PONG arrives. */
function connect(setup = [], onMsg = null) {
  return new Promise((resolve, reject) => {
    const sock = WS ? new WsSocket(HOST, PORT) : net.createConnection({ host: HOST, port: PORT, noDelay: true });
    const reader = new Reader(sock, onMsg);
    let ready = false;
    reader.onPong = () => {
      if (!ready) {
        ready = true;
        reader.onPong = null;
        resolve({ sock, reader });
      }
    };
    sock.on('data', (b) => reader.feed(b));
    sock.on('error', (e) => (ready ? fail(`socket error: ${e.message}`, progress()) : reject(e)));
    sock.on('close', () => {
      if (!finished && !sock.benchClosing) fail('connection closed by server', progress());
    });
    sock.on('connect', () => {
      sock.cork();
      sock.write(CONNECT);
      for (const line of setup) sock.write(line);
      sock.write(PING);
      sock.uncork();
    });
  });
}

/** Resolves at the next PONG on this connection (after sending PING). */
function pingPong(c) {
  return new Promise((resolve) => {
    c.reader.onPong = () => {
      c.reader.onPong = null;
      resolve();
    };
    c.sock.write(PING);
  });
}

const payload = (size) => Buffer.alloc(size, 'x');

// ---------------------------------------------------------------- registry-heavy subject space
// Published subjects: reg.<i>.<j>.data for i, j in 0..99 (10k subjects). The receiver's
// subscriptions match each published subject exactly once, with a mix of `>`, `*` and literals;
// the fillers' subscriptions share the trie's nodes (and its `*`/`>` slots) but never match.
const REG_I = 100;
const REG_J = 100;
function registryPublished() {
  const subs = [];
  for (let i = 0; i < REG_I; i++) for (let j = 0; j < REG_J; j++) subs.push(`reg.${i}.${j}.data`);
  // A fixed pseudo-random permutation so consecutive messages hit different subjects.
  let s = 12345;
  for (let k = subs.length - 1; k > 0; k--) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const r = s % (k + 1);
    [subs[k], subs[r]] = [subs[r], subs[k]];
  }
  return subs;
}
function registryReceiverSubs() {
  const subs = [];
  for (let i = 0; i < REG_I; i++) {
    if (i % 3 === 0) subs.push(`reg.${i}.>`);
    else if (i % 3 === 1) subs.push(`reg.${i}.*.data`);
    else for (let j = 0; j < REG_J; j++) subs.push(`reg.${i}.${j}.data`);
  }
  return subs;
}
function registryFillerSubs(count) {
  const subs = [];
  const shapes = [
    (i, j, k) => `reg.${i}.${j}.meta${k}`,
    (i, j, k) => `reg.${i}.*.ctl${k}`,
    (i, j) => `reg.*.${j}.info`,
    (i, j) => `reg.${i}.${j}.data.>`,
    (i, j, k) => `reg.${i}.${j}.*.x${k}`,
    (i, j) => `rex.${i}.${j}.data`,
    (i, j) => `*.${i}.${j}.stats`,
    () => 'reg.*.*.*.>',
  ];
  for (let n = 0; subs.length < count; n++) {
    const i = n % REG_I;
    const j = Math.floor(n / REG_I) % REG_J;
    const k = Math.floor(n / (REG_I * REG_J));
    subs.push(shapes[n % shapes.length](i, j, k));
  }
  return subs;
}

// ---------------------------------------------------------------- roles

async function rolePub() {
  const msgs = Number(opt('msgs', '1000000'));
  const size = Number(opt('size', '16'));
  const conns = Number(opt('conns', '1'));
  const subjects = flag('registry') ? registryPublished() : [opt('subject', 'bench.a')];
  const body = payload(size);
  // One big buffer of whole frames (the subjects cycled whole times, >= 256 KiB), with the end
  // offset of each frame so that a tail of k frames is a subarray of it.
  const cycle = subjects.map((s) => Buffer.concat([Buffer.from(`PUB ${s} ${size}\r\n`), body, Buffer.from('\r\n')]));
  const cycleBytes = cycle.reduce((a, b) => a + b.length, 0);
  const frames = [];
  for (let r = Math.max(1, Math.ceil((256 * 1024) / cycleBytes)); r > 0; r--) frames.push(...cycle);
  const big = Buffer.concat(frames);
  const ends = new Array(frames.length);
  for (let f = 0, e = 0; f < frames.length; f++) ends[f] = e += frames[f].length;
  const per = frames.length;

  let sent = 0;
  let acked = 0;
  progress = () => ({ sent, acked });
  const unwatch = watchStall();
  const cs = await Promise.all(Array.from({ length: conns }, () => connect()));
  const share = (k) => Math.floor(msgs / conns) + (k < msgs % conns ? 1 : 0);
  // --ws: each connection's frames of `big`, masked with its key before the clock starts.
  const bigFrames = WS ? cs.map((c) => c.sock.frames(big)) : [];
  markStart();
  const tStart = nowUs();
  const results = await Promise.all(
    cs.map(async (c, k) => {
      const sock = c.sock;
      let left = share(k);
      const drain = () => new Promise((r) => sock.once('drain', r));
      while (left > 0) {
        const chunk = left >= per ? big : big.subarray(0, ends[left - 1]);
        const n = left >= per ? per : left;
        left -= n;
        sent += n;
        if (!(WS ? sock.writeFrames(chunk === big ? bigFrames[k] : sock.frames(chunk)) : sock.write(chunk))) await drain();
      }
      await pingPong(c);
      acked++;
      return { msgs: share(k), t_end: nowUs() };
    }),
  );
  unwatch();
  const tEnd = Math.max(...results.map((r) => r.t_end));
  for (const c of cs) {
    c.sock.benchClosing = true;
    c.sock.end();
  }
  finish({ ok: true, msgs, size, conns, t_start: tStart, t_end: tEnd, msgs_per_sec: msgs / ((tEnd - tStart) / 1e6), per_conn: results });
}

async function roleSub() {
  const expect = Number(opt('expect', '1000000'));
  const conns = Number(opt('conns', '1'));
  const subject = opt('subject', 'bench.a');
  const size = opt('size', '');
  await runReceivers(
    Array.from({ length: conns }, (_, k) => [Buffer.from(`SUB ${subject} ${k + 1}\r\n`)]),
    expect,
    {},
    () => {},
    // The first frame on each connection is checked in full; the rest are counted.
    (k) => (size ? `MSG ${subject} ${k + 1} ${size}` : null),
  );
}

async function roleReg() {
  const expect = Number(opt('expect', '1000000'));
  const total = Number(opt('subs', '10000'));
  const fillers = Number(opt('fillers', '3'));
  const recv = registryReceiverSubs();
  const fill = registryFillerSubs(Math.max(0, total - recv.length));
  const fillerConns = [];
  for (let f = 0; f < fillers; f++) {
    const lines = fill.filter((_, n) => n % fillers === f).map((s, n) => Buffer.from(`SUB ${s} ${n + 1}\r\n`));
    fillerConns.push(await connect(lines));
  }
  const extra = { subs_total: recv.length + fill.length, subs_receiver: recv.length, filler_conns: fillers };
  await runReceivers([recv.map((s, n) => Buffer.from(`SUB ${s} ${n + 1}\r\n`))], expect, extra, () => {
    for (const c of fillerConns) if (c.reader.count !== 0) fail(`a filler subscription received ${c.reader.count} messages`);
  });
  for (const c of fillerConns) c.sock.benchClosing = true;
}

// Receiving connections each expecting `expect` messages; READY once all are subscribed.
async function runReceivers(setups, expect, extra = {}, check = () => {}, firstLine = () => null) {
  const cs = await Promise.all(setups.map((lines) => connect(lines)));
  cs.forEach((c, k) => {
    const want = firstLine(k);
    if (want === null) return;
    c.reader.onMsg = (buf, ls, le) => {
      c.reader.onMsg = null;
      const got = buf.toString('latin1', ls, le);
      if (got !== want) fail(`first message was ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
    };
  });
  const st = cs.map((c) => ({ c, first: 0, last: 0, done: false }));
  progress = () => ({ expected: expect, received: st.map((s) => s.c.reader.count) });
  let remaining = st.length;
  let lastTotal = -1;
  let lastChange = nowUs();
  const stall = setInterval(() => {
    const total = st.reduce((a, s) => a + s.c.reader.count, 0);
    if (total !== lastTotal) {
      lastTotal = total;
      lastChange = nowUs();
    } else if (lastTotal > 0 && nowUs() - lastChange > STALL_MS * 1000) {
      fail(`stalled: no message for ${STALL_MS} ms`, progress());
    }
  }, 200);
  stall.unref();
  await new Promise((resolveAll) => {
    for (const s of st) {
      const { sock, reader } = s.c;
      sock.removeAllListeners('data');
      sock.on('data', (b) => {
        const before = reader.count;
        reader.feed(b);
        if (reader.count !== before) {
          const t = nowUs();
          if (before === 0) s.first = t;
          s.last = t;
          if (reader.count >= expect && !s.done) {
            s.done = true;
            // A PING round trip after the last expected message: anything extra the server had
            // queued for us before it arrives in order ahead of the PONG and is counted.
            pingPong(s.c).then(() => {
              if (reader.count !== expect) fail(`received ${reader.count} messages, expected ${expect}`, progress());
              if (--remaining === 0) resolveAll();
            });
          }
        }
      });
    }
    markStart();
    process.stdout.write(`READY ${JSON.stringify({ conns: st.length })}\n`);
  });
  clearInterval(stall);
  check();
  for (const s of st) {
    s.c.sock.benchClosing = true;
    s.c.sock.end();
  }
  const first = Math.min(...st.map((s) => s.first));
  const last = Math.max(...st.map((s) => s.last));
  finish({
    ok: true,
    expected: expect,
    received: st.map((s) => s.c.reader.count),
    t_first: first,
    t_last: last,
    per_sub_msgs_per_sec: st.map((s) => expect / ((s.last - s.first) / 1e6)),
    ...extra,
  });
}

async function roleResp() {
  const expect = Number(opt('expect', '10000'));
  const size = Number(opt('size', '128'));
  const body = payload(size);
  let replied = 0;
  let c;
  const onMsg = (buf, ls, le) => {
    const tok = buf.toString('latin1', ls + 4, le).split(' ');
    if (tok.length !== 4) return fail(`request without reply subject: ${tok.join(' ')}`);
    c.sock.write(Buffer.concat([Buffer.from(`PUB ${tok[2]} ${size}\r\n`), body, Buffer.from('\r\n')]));
    if (++replied === expect) {
      c.sock.benchClosing = true;
      c.sock.end(() => finish({ ok: true, replied }));
    }
  };
  progress = () => ({ replied });
  c = await connect([Buffer.from(`SUB ${opt('subject', 'bench.req')} 1\r\n`)], onMsg);
  markStart();
  process.stdout.write('READY {}\n');
}

async function roleReq() {
  const msgs = Number(opt('msgs', '10000'));
  const warm = Number(opt('warmup', '200'));
  const size = Number(opt('size', '128'));
  const subject = opt('subject', 'bench.req');
  const inbox = `_INBOX.bench${process.pid}`;
  const body = payload(size);
  const tail = Buffer.from('\r\n');
  let waiting = null;
  let expected = '';
  const onMsg = (buf, ls, le) => {
    const subj = buf.toString('latin1', ls + 4, buf.indexOf(32, ls + 4));
    if (subj !== expected) return fail(`reply on ${subj}, expected ${expected}`);
    const w = waiting;
    waiting = null;
    if (w) w();
  };
  let done = 0;
  progress = () => ({ done });
  const unwatch = watchStall();
  const c = await connect([Buffer.from(`SUB ${inbox}.* 1\r\n`)], onMsg);
  const lat = new Float64Array(msgs);
  const total = warm + msgs;
  const tStart = nowUs();
  let tMeasured = tStart;
  for (let k = 0; k < total; k++) {
    if (k === warm) {
      markStart();
      tMeasured = nowUs();
    }
    expected = `${inbox}.${k}`;
    const p = new Promise((r) => (waiting = r));
    const t = process.hrtime.bigint();
    c.sock.write(Buffer.concat([Buffer.from(`PUB ${subject} ${expected} ${size}\r\n`), body, tail]));
    await p;
    if (k >= warm) lat[k - warm] = Number(process.hrtime.bigint() - t) / 1000;
    done = k + 1;
  }
  const tEnd = nowUs();
  unwatch();
  c.sock.benchClosing = true;
  c.sock.end();
  const sorted = Array.from(lat).sort((a, b) => a - b);
  const pct = (p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
  finish({
    ok: true,
    msgs,
    warmup: warm,
    t_start: tMeasured,
    t_end: tEnd,
    msgs_per_sec: msgs / ((tEnd - tMeasured) / 1e6),
    latency: { p50_us: pct(50), p90_us: pct(90), p99_us: pct(99), p999_us: pct(99.9), max_us: sorted[sorted.length - 1], mean_us: sorted.reduce((a, b) => a + b, 0) / sorted.length },
  });
}

async function roleIdle() {
  const want = Number(opt('conns', '10000'));
  const parallel = Number(opt('parallel', '256'));
  const cs = [];
  let next = 0;
  const tStart = nowUs();
  progress = () => ({ opened: cs.length, wanted: want });
  const unwatch = watchStall();
  const worker = async () => {
    while (next < want) {
      next++;
      cs.push(await connect());
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, want) }, worker));
  const tReady = nowUs();
  unwatch();
  process.stdout.write(`READY ${JSON.stringify({ conns: cs.length, connect_s: (tReady - tStart) / 1e6 })}\n`);
  // Hold them until told to close (a line on stdin), then report.
  process.stdin.removeAllListeners('end');
  await new Promise((r) => {
    process.stdin.on('data', r);
    process.stdin.on('end', r);
  });
  for (const c of cs) {
    c.sock.benchClosing = true;
    c.sock.destroy();
  }
  finish({ ok: true, conns: cs.length, connect_s: (tReady - tStart) / 1e6 });
}

// `loadgen.mjs selftest`: the frame reader against seeded random server streams cut at random
// places (mixed subjects, sids, sizes, reply subjects, HMSG, PING, +OK, INFO).
async function roleSelftest() {
  let seed = Number(opt('seed', '1'));
  const rnd = (k) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % k;
  };
  for (let iter = 0; iter < 200; iter++) {
    const parts = [];
    let msgs = 0;
    let pings = 0;
    const uniform = rnd(2) === 0; // long runs of identical frames exercise the fast path
    for (let f = 0; f < 2000; f++) {
      const r = uniform ? (rnd(50) === 0 ? rnd(10) : 0) : rnd(10);
      const size = uniform ? 16 : rnd(4) === 0 ? rnd(3000) : rnd(40);
      const pl = 'x'.repeat(size);
      if (r <= 5) {
        parts.push(`MSG ${uniform ? 'a.b' : 'sub.' + 'y'.repeat(rnd(20))} ${uniform ? 1 : rnd(1000)}${rnd(3) === 0 ? ' _INBOX.' + rnd(99) : ''} ${size}\r\n${pl}\r\n`);
        msgs++;
      } else if (r === 6) {
        const h = 'NATS/1.0\r\n\r\n';
        parts.push(`HMSG s.h 9 ${h.length} ${h.length + size}\r\n${h}${pl}\r\n`);
        msgs++;
      } else if (r === 7) {
        parts.push('PING\r\n');
        pings++;
      } else if (r === 8) parts.push('+OK\r\n');
      else parts.push(`INFO {"x":${rnd(100)}}\r\n`);
    }
    const all = Buffer.from(parts.join(''), 'latin1');
    let pongs = 0;
    const rd = new Reader({ write: () => pongs++ });
    for (let at = 0; at < all.length; ) {
      const len = rnd(8) === 0 ? 1 + rnd(8) : 1 + rnd(70000);
      rd.feed(all.subarray(at, Math.min(all.length, at + len)));
      at += len;
    }
    if (rd.count !== msgs || pongs !== pings || rd.error || rd.skip !== 0 || rd.partial !== null) {
      return fail(`selftest iteration ${iter}: counted ${rd.count}/${msgs} msgs, ${pongs}/${pings} pongs, error ${rd.error}`);
    }
  }
  finish({ ok: true, iterations: 200 });
}

const roles = { selftest: roleSelftest, pub: rolePub, sub: roleSub, reg: roleReg, resp: roleResp, req: roleReq, idle: roleIdle };
if (!roles[role]) {
  process.stderr.write(`unknown role ${role}; one of ${Object.keys(roles).join(', ')}\n`);
  process.exit(1);
}
roles[role]().catch((e) => fail(`${e.code ?? ''} ${e.message}`.trim(), progress()));
