// tsnats' live dashboard (no nats-server counterpart): `GET /dashboard` is a static page that
// polls `/dashz` once a second and draws what it reads; `/dashz` is one small JSON snapshot made
// of the /varz, /connz and /routez snapshots. Rates are computed in the browser from the
// differences of the counters, so nothing is counted per message for the page. Every asset is
// served from here (the page, its script and style, the favicon, uPlot from the `uplot` package):
// the page makes no request that leaves the server. Paths in the page are relative, so it works
// under any http_base_path.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Server } from '../server/server.js';
import { uplotDir } from '../util/lazy.js';
import { connz, CONNZ_SORTS, type ConnInfo } from './connz.js';
import { MonitorError } from './monitor-error.js';
import { routez } from './routez.js';
import { varz } from './varz.js';

/** How many connections /dashz lists (the top ones by its `sort`). */
export const DASHZ_CONN_LIMIT = 100;

/** A connection as the dashboard's table shows it. */
export interface DashConn {
  cid: number;
  name?: string;
  ip: string;
  port: number;
  subscriptions: number;
  pending_bytes: number;
  in_msgs: number;
  out_msgs: number;
  in_bytes: number;
  out_bytes: number;
}

export interface DashRoute {
  rid: number;
  remote_id: string;
  ip: string;
  port: number;
  pending_size: number;
  subscriptions: number;
  in_msgs: number;
  out_msgs: number;
  in_bytes: number;
  out_bytes: number;
}

/** The `/dashz` snapshot: counters only; the page derives the rates. */
export interface Dashz {
  server_id: string;
  server_name: string;
  version: string;
  host: string;
  port: number;
  cluster?: string;
  start: string;
  now: string;
  /** ms since the epoch of `now`, for the rates. */
  now_ms: number;
  uptime: string;
  parser: 'native' | 'ts';
  /** Why that parser (the banner's words). */
  parser_reason: string;
  mem: number;
  cpu: number;
  connections: number;
  total_connections: number;
  subscriptions: number;
  slow_consumers: number;
  in_msgs: number;
  out_msgs: number;
  in_bytes: number;
  out_bytes: number;
  leafnodes: number;
  /** The top connections by `sort` (a /connz sort order, default msgs_from). */
  conns: DashConn[];
  routes: DashRoute[];
  /** Further monitoring endpoints this server has that the page can show (`/leafz`, `/jsz`). */
  endpoints: string[];
}

function dashConn(c: ConnInfo): DashConn {
  return {
    cid: c.cid,
    ...(c.name ? { name: c.name } : {}),
    ip: c.ip,
    port: c.port,
    subscriptions: c.subscriptions,
    pending_bytes: c.pending_bytes,
    in_msgs: c.in_msgs,
    out_msgs: c.out_msgs,
    in_bytes: c.in_bytes,
    out_bytes: c.out_bytes,
  };
}

/** A /dashz snapshot; `sort` must be a /connz sort order (MonitorError otherwise). */
export function dashz(server: Server, sort = 'msgs_from', endpoints: string[] = []): Dashz {
  if (!(CONNZ_SORTS as readonly string[]).includes(sort)) throw new MonitorError(`invalid sorting option: ${sort}`);
  const now = Date.now();
  const v = varz(server);
  const c = connz(server, { sort, limit: DASHZ_CONN_LIMIT });
  const r = routez(server);
  return {
    server_id: v.server_id,
    server_name: v.server_name,
    version: v.version,
    host: v.host,
    port: v.port,
    ...(v.cluster.name ? { cluster: v.cluster.name } : {}),
    start: v.start,
    now: v.now,
    now_ms: now,
    uptime: v.uptime,
    parser: v.parser,
    parser_reason: server.implReason,
    mem: v.mem,
    cpu: v.cpu,
    connections: v.connections,
    total_connections: v.total_connections,
    subscriptions: v.subscriptions,
    slow_consumers: v.slow_consumers,
    in_msgs: v.in_msgs,
    out_msgs: v.out_msgs,
    in_bytes: v.in_bytes,
    out_bytes: v.out_bytes,
    leafnodes: v.leafnodes,
    conns: (c.connections ?? []).map(dashConn),
    routes: r.routes.map((x) => ({
      rid: x.rid,
      remote_id: x.remote_id,
      ip: x.ip,
      port: x.port,
      pending_size: x.pending_size,
      subscriptions: x.subscriptions,
      in_msgs: x.in_msgs,
      out_msgs: x.out_msgs,
      in_bytes: x.in_bytes,
      out_bytes: x.out_bytes,
    })),
    endpoints,
  };
}

/** A static asset: its content type and body. */
export interface Asset {
  type: string;
  body: string;
}

let uplot: { js: Asset; css: Asset } | undefined;
/** uPlot's browser build and its style, read from the `uplot` package once, at first request. */
function uplotAssets(): { js: Asset; css: Asset } {
  uplot ??= {
    js: { type: 'text/javascript; charset=utf-8', body: readFileSync(join(uplotDir(), 'uPlot.iife.min.js'), 'utf8') },
    css: { type: 'text/css; charset=utf-8', body: readFileSync(join(uplotDir(), 'uPlot.min.css'), 'utf8') },
  };
  return uplot;
}

/** The favicon of the index page and the dashboard: a blue rounded square, a white 'ts'. */
export const FAVICON: Asset = {
  type: 'image/svg+xml',
  body: `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#27aae1"/><path d="M7 9h9v3h-3v11h-3V12H7zM25 12.5c-1-.8-2.2-1.2-3.3-1.2-1 0-1.6.4-1.6 1 0 1.7 5.6 1 5.6 5.3 0 2.5-2 4.1-4.8 4.1-1.6 0-3.2-.5-4.4-1.5l1.3-2.3c1 .8 2 1.2 3.1 1.2 1 0 1.7-.4 1.7-1.1 0-1.8-5.6-1.1-5.6-5.2 0-2.4 2-3.9 4.6-3.9 1.5 0 2.9.4 4.1 1.3z" fill="#fff"/></svg>`,
};

/** The dashboard's assets by path under the base path (the page itself is `/dashboard`). */
export function dashboardAssets(): Record<string, () => Asset> {
  return {
    '/dashboard': () => ({ type: 'text/html; charset=utf-8', body: PAGE }),
    '/dashboard/app.js': () => ({ type: 'text/javascript; charset=utf-8', body: APP_JS }),
    '/dashboard/app.css': () => ({ type: 'text/css; charset=utf-8', body: APP_CSS }),
    '/dashboard/uPlot.iife.min.js': () => uplotAssets().js,
    '/dashboard/uPlot.min.css': () => uplotAssets().css,
    '/favicon.svg': () => FAVICON,
  };
}

// The page. Relative URLs: from <base>/dashboard, `dashboard/x` is <base>/dashboard/x and `dashz`
// is <base>/dashz.
const metric = (name: string, label: string): string =>
  `<div class="card"><div class="label">${label}</div><div class="figure" data-metric="${name}" data-value="0">-</div></div>`;

const PAGE = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tsnats dashboard</title>
<link rel="icon" type="image/svg+xml" href="favicon.svg">
<link rel="stylesheet" href="dashboard/uPlot.min.css">
<link rel="stylesheet" href="dashboard/app.css">
</head>
<body>
<header>
  <h1><a id="home" href=".">tsnats</a> <span id="server-name"></span></h1>
  <div id="identity">
    <span>id <code id="server-id"></code></span>
    <span>version <b id="version"></b></span>
    <span>listening <b id="listen"></b></span>
    <span id="cluster-wrap" hidden>cluster <b id="cluster"></b></span>
    <span>uptime <b id="uptime"></b></span>
    <span>parser <b id="parser"></b></span>
    <span id="status" class="status">connecting</span>
  </div>
</header>
<main>
<section class="cards">
${metric('connections', 'Connections')}
${metric('subscriptions', 'Subscriptions')}
${metric('slow_consumers', 'Slow consumers')}
${metric('in_msgs_rate', 'Msgs/s in')}
${metric('out_msgs_rate', 'Msgs/s out')}
${metric('in_bytes_rate', 'Bytes/s in')}
${metric('out_bytes_rate', 'Bytes/s out')}
${metric('total_connections', 'Total connections')}
${metric('routes', 'Routes')}
${metric('mem', 'Memory')}
${metric('cpu', 'CPU %')}
</section>
<section class="charts">
  <div class="chart"><h2>Messages/s</h2><div id="chart-msgs"></div></div>
  <div class="chart"><h2>Bytes/s</h2><div id="chart-bytes"></div></div>
</section>
<section>
  <h2>Top connections</h2>
  <table id="conns" class="sortable">
    <thead><tr>
      <th data-key="cid" data-sort="cid">cid</th>
      <th data-key="name" data-sort="cid">name</th>
      <th data-key="addr" data-sort="cid">address</th>
      <th data-key="subscriptions" data-sort="subs" class="num">subs</th>
      <th data-key="pending_bytes" data-sort="pending" class="num">pending</th>
      <th data-key="in_msgs_rate" data-sort="msgs_from" class="num">msgs/s in</th>
      <th data-key="out_msgs_rate" data-sort="msgs_to" class="num">msgs/s out</th>
      <th data-key="in_bytes_rate" data-sort="bytes_from" class="num">bytes/s in</th>
      <th data-key="out_bytes_rate" data-sort="bytes_to" class="num">bytes/s out</th>
    </tr></thead>
    <tbody></tbody>
  </table>
</section>
<section id="routes-section" hidden>
  <h2>Routes</h2>
  <table id="routes">
    <thead><tr><th>rid</th><th>remote id</th><th>address</th><th class="num">subs</th><th class="num">pending</th><th class="num">msgs/s in</th><th class="num">msgs/s out</th></tr></thead>
    <tbody></tbody>
  </table>
</section>
<section id="leafz-section" hidden>
  <h2>Leaf nodes</h2>
  <table id="leafz">
    <thead><tr><th>name</th><th>account</th><th>address</th><th class="num">subs</th><th class="num">msgs in</th><th class="num">msgs out</th></tr></thead>
    <tbody></tbody>
  </table>
</section>
<section id="jsz-section" hidden>
  <h2>JetStream streams</h2>
  <table id="jsz">
    <thead><tr><th>stream</th><th>account</th><th class="num">messages</th><th class="num">bytes</th><th class="num">consumers</th></tr></thead>
    <tbody></tbody>
  </table>
</section>
</main>
<script src="dashboard/uPlot.iife.min.js"></script>
<script src="dashboard/app.js"></script>
</body>
</html>
`;

const APP_CSS = `:root { --fg: rgb(39 39 52); --muted: rgb(110 110 128); --accent: rgb(39 170 225); --accent2: rgb(59 50 202); --line: rgb(226 228 236) }
* { box-sizing: border-box }
body { margin: 0; font-family: ui-sans-serif,system-ui,-apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans",sans-serif; color: var(--fg); background: rgb(248 249 252) }
header { padding: 14px 28px 10px; background: #fff; border-bottom: 1px solid var(--line) }
h1 { margin: 0 0 6px; font-size: 22px; font-weight: 600 }
h1 a { color: var(--accent); text-decoration: none }
h1 span { font-weight: 400; color: var(--muted) }
h2 { font-size: 15px; font-weight: 600; margin: 18px 0 8px }
#identity { display: flex; flex-wrap: wrap; gap: 6px 20px; font-size: 13px; color: var(--muted) }
#identity b, #identity code { color: var(--fg); font-weight: 600 }
.status { margin-left: auto; padding: 1px 8px; border-radius: 9px; background: rgb(255 236 200) }
.status.ok { background: rgb(214 245 222) }
main { padding: 4px 28px 28px }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 10px; margin-top: 14px }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px }
.card .label { font-size: 12px; color: var(--muted) }
.card .figure { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; margin-top: 2px; white-space: nowrap }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(380px, 1fr)); gap: 14px }
.chart { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 0 12px 8px; min-width: 0 }
table { width: 100%; border-collapse: collapse; background: #fff; border: 1px solid var(--line); font-size: 13px }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--line); text-align: left; white-space: nowrap }
th { font-weight: 600; color: var(--muted); background: rgb(244 245 250) }
.sortable th { cursor: pointer; user-select: none }
th[aria-sort=ascending]::after { content: " \\25B2"; color: var(--accent2) }
th[aria-sort=descending]::after { content: " \\25BC"; color: var(--accent2) }
.num { text-align: right; font-variant-numeric: tabular-nums }
td.empty { color: var(--muted); text-align: center }
`;

// The page's script: plain ES2017 for any current browser, no modules, no template strings (it
// sits in one here). Names from clients go into the page as text nodes only.
const APP_JS = `(function () {
  'use strict';
  var HISTORY = 300; // seconds of chart
  var POLL_MS = 1000;
  var sortKey = 'in_msgs_rate';
  var sortDesc = true;
  var serverSort = 'msgs_from';
  var prev = null; // last snapshot
  var prevConns = new Map(); // cid -> counters at the last snapshot
  var prevRoutes = new Map();
  var lastConns = [];
  var extra = {};
  var series = { t: [], inMsgs: [], outMsgs: [], inBytes: [], outBytes: [] };
  var charts = [];

  function el(id) { return document.getElementById(id); }
  // the index page is the base path itself, without a trailing slash
  el('home').setAttribute('href', location.pathname.slice(0, location.pathname.lastIndexOf('/dashboard')) || '/');
  function human(n, unit) {
    var k = unit === 'B' ? 1024 : 1000;
    var suffix = unit === 'B' ? ['B', 'KiB', 'MiB', 'GiB', 'TiB'] : ['', 'k', 'M', 'G', 'T'];
    var i = 0;
    while (Math.abs(n) >= k && i < suffix.length - 1) { n /= k; i++; }
    var s = i === 0 ? String(Math.round(n * 10) / 10) : n.toFixed(n < 10 ? 2 : 1);
    return suffix[i] === '' ? s : s + ' ' + suffix[i];
  }
  function clock(sec) {
    var d = new Date(sec * 1000);
    return [d.getHours(), d.getMinutes(), d.getSeconds()].map(function (n) { return n < 10 ? '0' + n : String(n); }).join(':');
  }
  function setMetric(name, value, text) {
    var e = document.querySelector('[data-metric="' + name + '"]');
    e.setAttribute('data-value', String(value));
    e.textContent = text;
  }
  function rate(cur, old, dt) { return old === undefined || dt <= 0 ? 0 : Math.max(0, (cur - old) / dt); }

  function makeChart(id, unit) {
    var node = el(id);
    var opts = {
      width: Math.max(300, node.clientWidth),
      height: 170,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, Math.max(1, max)]; } } },
      axes: [{ space: 70, values: function (u, vals) { return vals.map(clock); } }, { size: 84, values: function (u, vals) { return vals.map(function (v) { return human(v, unit); }); } }],
      series: [
        {},
        { label: 'in', stroke: 'rgb(39 170 225)', width: 2, fill: 'rgba(39,170,225,0.12)', value: function (u, v) { return v == null ? '-' : human(v, unit) + '/s'; } },
        { label: 'out', stroke: 'rgb(59 50 202)', width: 2, value: function (u, v) { return v == null ? '-' : human(v, unit) + '/s'; } }
      ]
    };
    var c = new uPlot(opts, [[], [], []], node);
    charts.push({ chart: c, node: node });
    return c;
  }
  var msgChart = makeChart('chart-msgs', '');
  var byteChart = makeChart('chart-bytes', 'B');
  window.addEventListener('resize', function () {
    charts.forEach(function (x) { x.chart.setSize({ width: Math.max(300, x.node.clientWidth), height: 170 }); });
  });

  function cell(row, text, num) {
    var td = document.createElement('td');
    td.textContent = text;
    if (num) td.className = 'num';
    row.appendChild(td);
  }
  function fill(tbodySel, rows, cols, empty) {
    var tbody = document.querySelector(tbodySel + ' tbody');
    var frag = document.createDocumentFragment();
    if (rows.length === 0) {
      var tr = document.createElement('tr');
      var td = document.createElement('td');
      td.colSpan = cols;
      td.className = 'empty';
      td.textContent = empty;
      tr.appendChild(td);
      frag.appendChild(tr);
    }
    rows.forEach(function (r) {
      var tr = document.createElement('tr');
      r.forEach(function (c) { cell(tr, c[0], c[1]); });
      frag.appendChild(tr);
    });
    tbody.replaceChildren(frag);
  }

  function renderConns() {
    var rows = lastConns.slice().sort(function (a, b) {
      var x = a[sortKey], y = b[sortKey];
      var d = typeof x === 'string' ? x.localeCompare(y) : x - y;
      if (d === 0) d = a.cid - b.cid;
      return sortDesc ? -d : d;
    });
    fill('#conns', rows.map(function (c) {
      return [[String(c.cid)], [c.name], [c.addr], [String(c.subscriptions), true], [human(c.pending_bytes, 'B'), true],
        [human(c.in_msgs_rate, ''), true], [human(c.out_msgs_rate, ''), true], [human(c.in_bytes_rate, 'B'), true], [human(c.out_bytes_rate, 'B'), true]];
    }), 9, 'no connections');
    document.querySelectorAll('#conns th').forEach(function (th) {
      if (th.getAttribute('data-key') === sortKey) th.setAttribute('aria-sort', sortDesc ? 'descending' : 'ascending');
      else th.removeAttribute('aria-sort');
    });
  }
  document.querySelectorAll('#conns th').forEach(function (th) {
    th.addEventListener('click', function () {
      var key = th.getAttribute('data-key');
      if (key === sortKey) sortDesc = !sortDesc;
      else { sortKey = key; sortDesc = key !== 'cid' && key !== 'name' && key !== 'addr'; }
      serverSort = th.getAttribute('data-sort');
      renderConns();
    });
  });

  function update(d) {
    var dt = prev === null ? 0 : (d.now_ms - prev.now_ms) / 1000;
    el('server-name').textContent = d.server_name === d.server_id ? '' : d.server_name;
    el('server-id').textContent = d.server_id;
    el('version').textContent = d.version;
    el('listen').textContent = d.host + ':' + d.port;
    el('cluster-wrap').hidden = !d.cluster;
    el('cluster').textContent = d.cluster || '';
    el('uptime').textContent = d.uptime;
    el('parser').textContent = d.parser;
    el('parser').title = d.parser_reason;
    var st = el('status');
    st.textContent = 'live';
    st.className = 'status ok';

    setMetric('connections', d.connections, String(d.connections));
    setMetric('subscriptions', d.subscriptions, String(d.subscriptions));
    setMetric('slow_consumers', d.slow_consumers, String(d.slow_consumers));
    setMetric('total_connections', d.total_connections, String(d.total_connections));
    setMetric('routes', d.routes.length, String(d.routes.length));
    setMetric('mem', d.mem, human(d.mem, 'B'));
    setMetric('cpu', d.cpu, String(Math.round(d.cpu * 10) / 10));
    if (prev !== null && dt > 0) {
      var r = {
        in_msgs_rate: rate(d.in_msgs, prev.in_msgs, dt), out_msgs_rate: rate(d.out_msgs, prev.out_msgs, dt),
        in_bytes_rate: rate(d.in_bytes, prev.in_bytes, dt), out_bytes_rate: rate(d.out_bytes, prev.out_bytes, dt)
      };
      setMetric('in_msgs_rate', r.in_msgs_rate, human(r.in_msgs_rate, ''));
      setMetric('out_msgs_rate', r.out_msgs_rate, human(r.out_msgs_rate, ''));
      setMetric('in_bytes_rate', r.in_bytes_rate, human(r.in_bytes_rate, 'B'));
      setMetric('out_bytes_rate', r.out_bytes_rate, human(r.out_bytes_rate, 'B'));
      series.t.push(d.now_ms / 1000);
      series.inMsgs.push(r.in_msgs_rate);
      series.outMsgs.push(r.out_msgs_rate);
      series.inBytes.push(r.in_bytes_rate);
      series.outBytes.push(r.out_bytes_rate);
      if (series.t.length > HISTORY) Object.keys(series).forEach(function (k) { series[k].shift(); });
      msgChart.setData([series.t, series.inMsgs, series.outMsgs]);
      byteChart.setData([series.t, series.inBytes, series.outBytes]);
    }

    var seen = new Map();
    lastConns = d.conns.map(function (c) {
      var o = prevConns.get(c.cid);
      seen.set(c.cid, c);
      return {
        cid: c.cid, name: c.name || '', addr: c.ip + ':' + c.port, subscriptions: c.subscriptions, pending_bytes: c.pending_bytes,
        in_msgs_rate: o ? rate(c.in_msgs, o.in_msgs, dt) : 0, out_msgs_rate: o ? rate(c.out_msgs, o.out_msgs, dt) : 0,
        in_bytes_rate: o ? rate(c.in_bytes, o.in_bytes, dt) : 0, out_bytes_rate: o ? rate(c.out_bytes, o.out_bytes, dt) : 0
      };
    });
    prevConns = seen;
    renderConns();

    var seenRoutes = new Map();
    el('routes-section').hidden = d.routes.length === 0;
    fill('#routes', d.routes.map(function (x) {
      var o = prevRoutes.get(x.rid);
      seenRoutes.set(x.rid, x);
      return [[String(x.rid)], [x.remote_id], [x.ip + ':' + x.port], [String(x.subscriptions), true], [human(x.pending_size, 'B'), true],
        [human(o ? rate(x.in_msgs, o.in_msgs, dt) : 0, ''), true], [human(o ? rate(x.out_msgs, o.out_msgs, dt) : 0, ''), true]];
    }), 7, 'no routes');
    prevRoutes = seenRoutes;
    prev = d;
    d.endpoints.forEach(function (e) { if (!(e in extra)) extra[e] = null; });
  }

  // Endpoints other parts of the server may add: shown when the server lists them.
  function renderExtra(name, j) {
    if (name === '/leafz') {
      var leafs = (j && j.leafs) || [];
      el('leafz-section').hidden = false;
      fill('#leafz', leafs.map(function (l) {
        return [[l.name || ''], [l.account || ''], [(l.ip || '') + ':' + (l.port || '')], [String(l.subscriptions || 0), true], [human(l.in_msgs || 0, ''), true], [human(l.out_msgs || 0, ''), true]];
      }), 6, 'no leaf nodes');
    } else if (name === '/jsz') {
      var rows = [];
      ((j && j.account_details) || []).forEach(function (a) {
        (a.stream_detail || []).forEach(function (s) {
          var st = s.state || {};
          rows.push([[s.name || ''], [a.name || ''], [human(st.messages || 0, ''), true], [human(st.bytes || 0, 'B'), true], [String(st.consumer_count || 0), true]]);
        });
      });
      el('jsz-section').hidden = false;
      fill('#jsz', rows, 5, 'no streams');
    }
  }
  var tick = 0;
  function pollExtra() {
    Object.keys(extra).forEach(function (name) {
      var url = name.slice(1) + (name === '/jsz' ? '?accounts=true&streams=true' : '');
      fetch(url, { cache: 'no-store' }).then(function (res) { return res.ok ? res.json() : null; })
        .then(function (j) { if (j) renderExtra(name, j); }, function () {});
    });
  }

  function poll() {
    fetch('dashz?sort=' + encodeURIComponent(serverSort), { cache: 'no-store' })
      .then(function (res) { if (!res.ok) throw new Error('HTTP ' + res.status); return res.json(); })
      .then(function (d) {
        update(d);
        if (tick++ % 5 === 0) pollExtra();
      })
      .catch(function (e) {
        var st = el('status');
        st.textContent = 'no answer: ' + e.message;
        st.className = 'status';
      })
      .then(function () { setTimeout(poll, POLL_MS); });
  }
  poll();
})();
`;
