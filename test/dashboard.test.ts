// The live dashboard in a real browser: Debian's chromium, headless, driven by puppeteer-core.
// A server under an http_base_path, routed to a second one; the page is reached from the index
// page's link and then never reloaded, while clients of the official client connect, subscribe,
// publish and leave. Its `data-metric` figures must follow, the connections table must list and
// sort them, the route must show, and the page must log no error and ask nothing of any other
// origin (every request is intercepted). A screenshot goes to the test output
// (TSNATS_TEST_OUTPUT, default test-output/).
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServerHandle, startServer } from '../src/index.js';
import { clusterOptions, eventually } from './helpers/cluster.js';
import { REPO_ROOT } from './helpers/spawn-server.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const OUT = process.env.TSNATS_TEST_OUTPUT ?? join(REPO_ROOT, 'test-output');
const BASE = '/nats/mon';
/** Generous: two cores shared with other work, and a browser. */
const WAIT_MS = 30_000;

let a: ServerHandle;
let b: ServerHandle;
let browser: Browser;
let page: Page;
let origin: string;
const clients: NatsConnection[] = [];
const consoleErrors: string[] = [];
const outside: string[] = [];
const failed: string[] = [];
const requested: string[] = [];

beforeAll(async () => {
  expect(existsSync(CHROMIUM), `${CHROMIUM} (Debian's chromium; .ci/run installs it)`).toBe(true);
  a = await startServer({ host: '127.0.0.1', port: -1, httpPort: -1, httpBasePath: BASE, serverName: 'dash-A', cluster: clusterOptions(), log: () => undefined });
  b = await startServer({
    host: '127.0.0.1',
    port: -1,
    serverName: 'dash-B',
    cluster: clusterOptions({ routes: [`nats://127.0.0.1:${a.server.cluster!.port}`] }),
    log: () => undefined,
  });
  await eventually(() => a.varz().routes === 1, 'the route A-B', WAIT_MS);
  origin = `http://127.0.0.1:${a.httpPort}`;
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 1000 });
  await page.setRequestInterception(true);
  page.on('request', (req) => {
    const url = req.url();
    requested.push(url);
    if (url.startsWith(`${origin}/`) || url === origin) void req.continue();
    else {
      outside.push(url);
      void req.abort();
    }
  });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warn') consoleErrors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${String(e)}`));
  page.on('response', (r) => {
    if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
  });
}, 120_000);

afterAll(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => undefined);
  await browser?.close();
  await b?.shutdown();
  await a?.shutdown();
});

async function metric(name: string): Promise<number> {
  return page.$eval(`[data-metric="${name}"]`, (e) => Number(e.getAttribute('data-value')));
}

/** Waits until the page shows `name` satisfying `ok` (the page polls once a second). */
async function until(name: string, ok: (v: number) => boolean): Promise<number> {
  let last = NaN;
  await eventually(
    async () => {
      last = await metric(name);
      return ok(last);
    },
    `the dashboard's ${name} (last ${last})`,
    WAIT_MS,
  );
  return last;
}

async function client(name: string): Promise<NatsConnection> {
  const nc = await connect({ servers: `127.0.0.1:${a.port}`, name, reconnect: false });
  clients.push(nc);
  return nc;
}

async function tableColumn(col: number): Promise<string[]> {
  return page.$$eval(`#conns tbody tr`, (rows, i) => rows.map((r) => r.children[i as number]?.textContent ?? ''), col);
}

describe('GET /dashboard in chromium', () => {
  it('is linked from the index page under http_base_path, and follows the server live', async () => {
    await page.goto(`${origin}${BASE}`, { waitUntil: 'load' });
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(`a[href="./mon/dashboard"]`)]);
    expect(page.url()).toBe(`${origin}${BASE}/dashboard`);
    expect(await page.$eval('#home', (e) => (e as HTMLAnchorElement).href)).toBe(`${origin}${BASE}`);
    await page.evaluate(() => {
      (window as unknown as { marker: number }).marker = 42;
    });
    await eventually(async () => (await page.$eval('#status', (e) => e.textContent)) === 'live', 'the first poll', WAIT_MS);
    expect(await page.$eval('#parser', (e) => e.textContent)).toBe(a.server.impl.name);
    expect(await page.$eval('#server-name', (e) => e.textContent)).toBe('dash-A');
    expect(await page.$eval('#server-id', (e) => e.textContent)).toBe(a.server.id);
    await until('connections', (v) => v === 0);
    await until('routes', (v) => v === 1);
    expect(await page.$eval('#routes tbody', (e) => e.textContent)).toContain(b.server.id);

    // clients arrive: connections and subscriptions follow
    const pub = await client('dash-publisher');
    const subs = [await client('dash-sub-1'), await client('dash-sub-2')];
    for (const s of subs) {
      s.subscribe('dash.>');
      s.subscribe('dash.one');
      await s.flush();
    }
    await pub.flush();
    await until('connections', (v) => v === 3);
    await until('subscriptions', (v) => v === a.varz().subscriptions && v >= 4);
    expect(await metric('slow_consumers')).toBe(0);

    // traffic: every rate rises; the publisher tops the table sorted by msgs/s in
    const payload = new Uint8Array(256);
    let sent = 0;
    const timer = setInterval(() => {
      for (let i = 0; i < 50 && sent < 200_000; i++, sent++) pub.publish('dash.one', payload);
    }, 20);
    try {
      await until('in_msgs_rate', (v) => v > 100);
      await until('out_msgs_rate', (v) => v > 100);
      await until('in_bytes_rate', (v) => v > 100 * 256);
      await until('out_bytes_rate', (v) => v > 100 * 256);
      await eventually(async () => (await tableColumn(1))[0] === 'dash-publisher', 'the publisher first by msgs/s in', WAIT_MS);
      expect((await tableColumn(1)).slice().sort()).toEqual(['dash-publisher', 'dash-sub-1', 'dash-sub-2']);
      // sorting by cid: ascending on the first click, descending on the second
      await page.click('#conns th[data-key="cid"]');
      const up = (await tableColumn(0)).map(Number);
      expect(up).toEqual([...up].sort((x, y) => x - y));
      await page.click('#conns th[data-key="cid"]');
      const down = (await tableColumn(0)).map(Number);
      expect(down).toEqual([...up].reverse());
      await page.click('#conns th[data-key="in_msgs_rate"]');
      await new Promise((r) => setTimeout(r, 2500)); // two more points on the charts
      mkdirSync(OUT, { recursive: true });
      const shot = join(OUT, 'dashboard.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect(existsSync(shot)).toBe(true);
    } finally {
      clearInterval(timer);
    }

    // traffic stops, clients leave: the figures come back down
    await until('in_msgs_rate', (v) => v === 0);
    for (const c of clients.splice(0)) await c.close();
    await until('connections', (v) => v === 0);
    await until('subscriptions', (v) => v === a.varz().subscriptions);
    expect(await page.$eval('#conns tbody', (e) => e.textContent)).toBe('no connections');

    // the same document all along, with every asset from this server and nothing else
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
    expect(consoleErrors).toEqual([]);
    expect(outside).toEqual([]);
    expect(failed).toEqual([]);
    for (const asset of ['dashboard/uPlot.iife.min.js', 'dashboard/uPlot.min.css', 'dashboard/app.js', 'dashboard/app.css']) {
      expect(requested).toContain(`${origin}${BASE}/${asset}`);
    }
    expect(await page.$$eval('canvas', (c) => c.length)).toBe(2); // the two uPlot charts
  }, 180_000);

  it('the index page links work under the base path; it and the dashboard name a local favicon', async () => {
    const index = await (await fetch(`${origin}${BASE}`)).text();
    expect(index).toContain(`href=./mon/favicon.svg`);
    expect(index).not.toMatch(/https?:\/\/[^"' >]*\.(ico|png|svg|js|css)/);
    // every local link of the index page leads to its endpoint under the two-segment base path
    const links = [...index.matchAll(/<a href=(\.\/[^ >]+)/g)].map((m) => new URL(m[1], `${origin}${BASE}`).href);
    expect(links).toContain(`${origin}${BASE}/dashboard`);
    expect(links.length).toBeGreaterThanOrEqual(7);
    for (const l of links) expect((await fetch(l)).status, l).toBe(200);
    const icon = await fetch(`${origin}${BASE}/favicon.svg`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
    const dash = await (await fetch(`${origin}${BASE}/dashboard`)).text();
    expect(dash).toContain('href="favicon.svg"');
    expect(dash).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('/dashz is one small snapshot: counters, the top connections, the routes', async () => {
    const r = await fetch(`${origin}${BASE}/dashz?sort=msgs_to`);
    expect(r.headers.get('content-type')).toBe('application/json');
    const d = (await r.json()) as Record<string, unknown>;
    expect(d).toMatchObject({ server_id: a.server.id, server_name: 'dash-A', parser: a.server.impl.name, conns: [], endpoints: [] });
    expect((d.routes as unknown[]).length).toBe(1);
    const bad = await fetch(`${origin}${BASE}/dashz?sort=nope`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toBe('invalid sorting option: nope');
  });
});
