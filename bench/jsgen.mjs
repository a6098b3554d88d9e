#!/usr/bin/env node
// The JetStream load generator for bench/run.mjs (scenarios j1-j7): raw NATS protocol over a net
// socket for publishing and consuming, the official @nats-io/kv client for the KV mix. Same
// contract as loadgen.mjs: at most one `READY` line, then exactly one JSON line with the result;
// exit 0 when `ok`, 2 otherwise; exits when its stdin closes or after --timeout.
//
//   jsgen.mjs pub     --port P --stream S --subject X --msgs N --size B [--window 100] [--pubs K]
//                     [--storage file|memory] [--create] [--delete]   async publish, acks awaited in a window
//   jsgen.mjs pull    --port P --stream S --msgs N [--batch 100]   an ephemeral pull consumer, explicit acks
//   jsgen.mjs ordered --port P --stream S --msgs N                 an ordered push consumer (ack none, flow control)
//   jsgen.mjs kv      --port P --keys K --ops N [--inflight 100]   @nats-io/kv: puts and gets half and half
//
// Publishing: each connection keeps `--window` publishes awaiting their ack; every ack read lets
// one more publish go (written in one write per socket read). Any ack with an "error" fails the
// run. Time runs from the first publish to the last ack, so the rate counts stored messages.

import net from 'node:net';

const role = process.argv[2];
const args = process.argv.slice(3);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
};
const flag = (name) => args.includes(`--${name}`);
const PORT = Number(opt('port', '4222'));
const TIMEOUT_MS = Number(opt('timeout', '120000'));
const STALL_MS = Number(opt('stall', '15000'));
const CONNECT = 'CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true,"name":"tsnats-jsbench","lang":"node","version":"0"}\r\n';

const nowUs = () => Number(process.hrtime.bigint() / 1000n);
let cpu0 = process.cpuUsage();
let t0 = nowUs();
function markStart() {
  cpu0 = process.cpuUsage();
  t0 = nowUs();
}
let finished = false;
function finish(result) {
  if (finished) return;
  finished = true;
  const c = process.cpuUsage(cpu0);
  result.role = role;
  result.gen_cpu = { user_s: c.user / 1e6, sys_s: c.system / 1e6, wall_s: (nowUs() - t0) / 1e6 };
  process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(result.ok ? 0 : 2));
}
const fail = (msg, extra = {}) => finish({ ok: false, error: msg, ...extra });
let progress = () => ({});
process.stdin.on('end', () => fail('stopped by the orchestrator (stdin closed)', progress()));
process.stdin.on('error', () => {});
process.stdin.resume();
setTimeout(() => fail(`timeout after ${TIMEOUT_MS} ms`, progress()), TIMEOUT_MS).unref();
function watchStall() {
  let last = '';
  let since = nowUs();
  setInterval(() => {
    const now = JSON.stringify(progress());
    if (now !== last) {
      last = now;
      since = nowUs();
    } else if (nowUs() - since > STALL_MS * 1000) fail(`stalled: no progress for ${STALL_MS} ms`, progress());
  }, 250).unref();
}

/**
 * A connection with a frame parser: `onMsg(subject, sid, reply, hdr, data)` per MSG/HMSG (hdr and
 * data are views into the read buffer, valid during the call), `afterRead()` once per socket read.
 */
function connect({ onMsg, afterRead = () => {} }) {
  return new Promise((resolve, reject) => {
    const sock = net.createConnection({ host: '127.0.0.1', port: PORT });
    sock.setNoDelay(true);
    let carry = null;
    const c = { sock, pongWaiters: [] };
    c.ping = () => new Promise((r) => (c.pongWaiters.push(r), sock.write('PING\r\n')));
    sock.once('connect', () => {
      sock.write(CONNECT);
      resolve(c);
    });
    sock.on('error', (e) => (finished ? null : fail(`socket: ${e.message}`, progress())));
    sock.on('close', () => (finished ? null : fail('connection closed by the server', progress())));
    sock.on('data', (chunk) => {
      let buf = carry === null ? chunk : Buffer.concat([carry, chunk]);
      carry = null;
      let i = 0;
      const n = buf.length;
      while (i < n) {
        const nl = buf.indexOf(10, i);
        if (nl < 0) break;
        const c0 = buf[i];
        if (c0 === 77 || c0 === 72) {
          // MSG subject sid [reply] size | HMSG subject sid [reply] hsize tsize
          const line = buf.latin1Slice(i, nl - 1);
          const f = line.split(' ');
          const hmsg = c0 === 72;
          const total = Number(f[f.length - 1]);
          const hsize = hmsg ? Number(f[f.length - 2]) : 0;
          const nf = f.length - (hmsg ? 2 : 1);
          const reply = nf === 4 ? f[3] : '';
          const start = nl + 1;
          if (start + total + 2 > n) break;
          onMsg(f[1], f[2], reply, hmsg ? buf.subarray(start, start + hsize) : null, buf.subarray(start + hsize, start + total));
          i = start + total + 2;
          continue;
        }
        if (c0 === 80 && buf[i + 1] === 73) sock.write('PONG\r\n');
        else if (c0 === 80 && buf[i + 1] === 79) c.pongWaiters.shift()?.();
        else if (c0 === 45) return fail(`server: ${buf.latin1Slice(i, nl - 1)}`, progress());
        i = nl + 1;
      }
      if (i < n) carry = buf.subarray(i);
      afterRead();
    });
  });
}

/** A $JS.API request on its own short-lived connection: the parsed JSON reply. */
async function api(subject, body) {
  let resolveReply;
  const got = new Promise((r) => (resolveReply = r));
  const c = await connect({ onMsg: (_s, _sid, _r, hdr, data) => resolveReply(hdr !== null && data.length === 0 ? { error: { description: hdr.toString().split('\r\n')[0] } } : JSON.parse(data.toString())) });
  const p = Buffer.from(JSON.stringify(body));
  c.sock.write(`SUB _API.r 1\r\nPUB ${subject} _API.r ${p.length}\r\n${p}\r\n`);
  const t = setTimeout(() => resolveReply({ error: { description: `no reply to ${subject}` } }), 10000);
  const r = await got;
  clearTimeout(t);
  c.sock.removeAllListeners('close');
  c.sock.destroy();
  return r;
}

async function rolePub() {
  const stream = opt('stream', 'BENCH');
  const subject = opt('subject', 'bench.js');
  const msgs = Number(opt('msgs', '100000'));
  const size = Number(opt('size', '16'));
  const window = Number(opt('window', '100'));
  const pubs = Number(opt('pubs', '1'));
  if (flag('create')) {
    const r = await api(`$JS.API.STREAM.CREATE.${stream}`, { name: stream, subjects: [subject], storage: opt('storage', 'file'), retention: 'limits', discard: 'old', num_replicas: 1 });
    if (r.error) return fail(`stream create: ${r.error.description}`);
  }
  let acked = 0;
  let tLast = 0;
  let bad = null;
  const conns = [];
  let done;
  const allDone = new Promise((r) => (done = r));
  for (let k = 0; k < pubs; k++) {
    const quota = Math.floor(msgs / pubs) + (k < msgs % pubs ? 1 : 0);
    // Each connection has its own reply subject (an ack goes to its publisher only).
    const frame = Buffer.from(`PUB ${subject} _A.${k} ${size}\r\n${'x'.repeat(size)}\r\n`);
    const frames = Buffer.concat(Array.from({ length: window }, () => frame));
    const st = { sent: 0, acked: 0, quota, fresh: 0, c: null, frame, frames };
    st.c = await connect({
      onMsg: (_s, _sid, _r, _hdr, data) => {
        if (data.length > 8 && data.indexOf('"error"') >= 0 && bad === null) bad = data.toString();
        st.acked++;
        st.fresh++;
      },
      afterRead: () => {
        if (bad !== null) return fail(`negative ack: ${bad}`, progress());
        acked += st.fresh;
        st.fresh = 0;
        const more = Math.min(st.acked + window - st.sent, st.quota - st.sent);
        if (more > 0) {
          st.sent += more;
          st.c.sock.write(st.frames.subarray(0, more * st.frame.length));
        }
        if (st.acked === st.quota) {
          tLast = nowUs();
          if (acked === msgs) done();
        }
      },
    });
    st.c.sock.write(`SUB _A.${k} 1\r\n`);
    await st.c.ping();
    conns.push(st);
  }
  progress = () => ({ acked, sent: conns.reduce((a, s) => a + s.sent, 0) });
  watchStall();
  process.stdout.write('READY {}\n');
  markStart();
  const tStart = nowUs();
  for (const st of conns) {
    st.sent = Math.min(window, st.quota);
    st.c.sock.write(st.frames.subarray(0, st.sent * st.frame.length));
  }
  await allDone;
  if (flag('delete')) {
    const r = await api(`$JS.API.STREAM.DELETE.${stream}`, {});
    if (r.error) return fail(`stream delete: ${r.error.description}`);
  }
  finish({ ok: true, msgs, msgs_per_sec: msgs / ((tLast - tStart) / 1e6), t_start: tStart, t_end: tLast });
}

/** Creates a consumer and counts `msgs` deliveries; pull: fetches of --batch with explicit acks; ordered: a push consumer with flow control. */
async function roleConsume(pull) {
  const stream = opt('stream', 'BENCH');
  const msgs = Number(opt('msgs', '100000'));
  const batch = Number(opt('batch', '100'));
  const inbox = `_C.${process.pid}`;
  let got = 0;
  let inBatch = 0;
  let tLast = 0;
  let acks = [];
  let done;
  const allDone = new Promise((r) => (done = r));
  let name = '';
  const next = Buffer.from(JSON.stringify({ batch, expires: 5e9 }));
  const c = await connect({
    onMsg: (_s, _sid, reply, hdr, data) => {
      if (hdr !== null && data.length === 0 && hdr.indexOf('NATS/1.0 ') === 0 && hdr[9] !== 0x0d) {
        // A status: 100 (heartbeat / flow control: answer when it has a reply), 404/408 (fetch over).
        if (reply !== '') acks.push(`PUB ${reply} 0\r\n\r\n`);
        else if (pull) inBatch = batch;
        return;
      }
      got++;
      inBatch++;
      if (pull) acks.push(`PUB ${reply} 0\r\n\r\n`);
    },
    afterRead: () => {
      let out = acks.length ? acks.join('') : '';
      acks = [];
      if (got >= msgs) {
        if (tLast === 0) tLast = nowUs();
        done();
      } else if (pull && inBatch >= batch) {
        inBatch = 0;
        out += `PUB $JS.API.CONSUMER.MSG.NEXT.${stream}.${name} ${inbox} ${next.length}\r\n${next}\r\n`;
      }
      if (out) c.sock.write(out);
    },
  });
  c.sock.write(`SUB ${inbox} 1\r\n`);
  await c.ping();
  const config = pull
    ? { ack_policy: 'explicit', deliver_policy: 'all', max_ack_pending: 10 * batch, inactive_threshold: 60e9 }
    : { deliver_subject: inbox, ack_policy: 'none', deliver_policy: 'all', max_deliver: 1, flow_control: true, idle_heartbeat: 5e9, mem_storage: true, num_replicas: 1, inactive_threshold: 60e9 };
  progress = () => ({ got });
  watchStall();
  process.stdout.write('READY {}\n');
  markStart();
  const tStart = nowUs();
  const r = await api(`$JS.API.CONSUMER.CREATE.${stream}`, { stream_name: stream, config });
  if (r.error) return fail(`consumer create: ${r.error.description}`);
  name = r.name;
  if (pull) c.sock.write(`PUB $JS.API.CONSUMER.MSG.NEXT.${stream}.${name} ${inbox} ${next.length}\r\n${next}\r\n`);
  await allDone;
  await c.ping(); // the last acks are read by the server
  await api(`$JS.API.CONSUMER.DELETE.${stream}.${name}`, {});
  finish({ ok: true, msgs: got, msgs_per_sec: got / ((tLast - tStart) / 1e6), t_start: tStart, t_end: tLast });
}

async function roleKv() {
  const { connect: nconnect } = await import('@nats-io/transport-node');
  const { Kvm } = await import('@nats-io/kv');
  const keys = Number(opt('keys', '10000'));
  const ops = Number(opt('ops', '20000'));
  const inflight = Number(opt('inflight', '100'));
  const nc = await nconnect({ port: PORT, reconnect: false });
  const kvm = new Kvm(nc);
  const bucket = `bench${process.pid}`;
  const kv = await kvm.create(bucket, { history: 1, storage: opt('storage', 'file') });
  const value = new Uint8Array(Number(opt('size', '64'))).fill(120);
  // Every key once (not measured), so gets find values.
  for (let k = 0; k < keys; k += inflight) await Promise.all(Array.from({ length: Math.min(inflight, keys - k) }, (_, j) => kv.put(`k${k + j}`, value)));
  let done = 0;
  let misses = 0;
  progress = () => ({ done });
  watchStall();
  process.stdout.write('READY {}\n');
  markStart();
  const tStart = nowUs();
  // xorshift32: the LCG this replaced multiplied in doubles past 2^53, so its low bits were
  // rounded away: 92 puts in 20000 ops, on 853 of the 10000 keys.
  let seed = 12345;
  const rnd = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return seed >>> 0;
  };
  const worker = async () => {
    while (done < ops) {
      done++;
      const key = `k${rnd() % keys}`;
      if (rnd() & 1) await kv.put(key, value);
      else if ((await kv.get(key)) === null) misses++;
    }
  };
  await Promise.all(Array.from({ length: inflight }, worker));
  const tEnd = nowUs();
  if (misses > 0) return fail(`${misses} gets found no value`);
  await nc.close();
  await api(`$JS.API.STREAM.DELETE.KV_${bucket}`, {});
  finish({ ok: true, msgs: ops, msgs_per_sec: ops / ((tEnd - tStart) / 1e6), t_start: tStart, t_end: tEnd });
}

const roles = { pub: rolePub, pull: () => roleConsume(true), ordered: () => roleConsume(false), kv: roleKv };
if (!roles[role]) {
  console.error(`unknown role ${role}: ${Object.keys(roles).join(', ')}`);
  process.exit(1);
}
roles[role]().catch((e) => fail(String(e?.stack ?? e)));
