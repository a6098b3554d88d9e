// The HTML index served at the base path, laid out like nats-server's HandleRoot page, linking
// the endpoints tsnats serves.

import { posix } from 'node:path';
import { VERSION } from '../config/defaults.js';

/** [link text, endpoint] in nats-server's order; /metrics and /dashboard are tsnats' own. */
const LINKS: [string, string][] = [
  ['General', '/varz'],
  ['JetStream', '/jsz'],
  ['Connections', '/connz'],
  ['Accounts', '/accountz'],
  ['Account Stats', '/accstatz'],
  ['Subscriptions', '/subsz'],
  ['Routes', '/routez'],
  ['LeafNodes', '/leafz'],
  ['Health Probe', '/healthz'],
  ['Metrics', '/metrics'],
  ['Dashboard', '/dashboard'],
];

/**
 * The page; `at(p)` is the endpoint's path under the base path (nats-server's basePath). Links are
 * relative to the page, as nats-server's `.` + path, but from the page's own folder: its `./mon/varz`
 * under base path /nats/mon would lead to /nats/nats/mon/varz. With a one-segment base path the
 * hrefs are nats-server's.
 */
export function indexPage(at: (endpoint: string) => string): string {
  const rel = (p: string): string => `./${posix.relative(posix.dirname(at('/')), at(p))}`;
  const links = LINKS.map(([text, p], i) => `\t<a href=${rel(p)}${i === LINKS.length - 1 ? ' class=last' : ''}>${text}</a>`).join('\n');
  return `<html lang="en">
	<head>
	<link rel="icon" type="image/svg+xml" href=${rel('/favicon.svg')}>
	<style type="text/css">
		body { font-family: ui-sans-serif,system-ui,-apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans",sans-serif; font-size: 18; font-weight: light-bold; margin-left: 32px }
		a { display:block; margin-left: 7px; padding-bottom: 6px; color: rgb(72 72 92); text-decoration: none }
		a:hover { font-weight: 600; color: rgb(59 50 202) }
		a.help { display:inline; font-weight: 600; color: rgb(59 50 202); font-size: 20}
		a.last { padding-bottom: 16px }
		a.version { font-size: 14; font-weight: 400; width: 312px; text-align: right; margin-top: -2rem }
		a.version:hover { color: rgb(22 22 32) }
		h1 { font-weight: 600; color: rgb(39 170 225) }
	</style>
	</head>
	<body>
	<h1>tsnats</h1>
	<a href=https://github.com/nats-io/nats-server class='version'>v${VERSION}</a>
	<br/>
${links}
    <a href=https://docs.nats.io/running-a-nats-service/nats_admin/monitoring class="help">Help</a>
  </body>
</html>`;
}
