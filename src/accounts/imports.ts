// Account imports wired as internal subscriptions (see account.ts for the model): stream
// imports deliver into the importing account under their prefix or mapped subject; service
// imports republish requests in the exporting account with a mapped reply and the
// `Nats-Request-Info` header nats-server adds.

import type { AccountConfig, ExportConfig, ImportConfig } from '../config/types.js';
import { type Account, type AccountHost, type ClientLink, TO_ROUTES, internalSub } from './account.js';

/** nats-server's ClientInfoHdr. */
const REQUEST_INFO_HDR = 'Nats-Request-Info';

/**
 * Subject mapping of an import: `from` is the pattern that matched, `to` the local form. Each
 * `*` of `from` fills the next `*` (or the `$n` / `{{wildcard(n)}}` reference) of `to`, and a
 * trailing `>` carries the rest.
 */
export function mapSubject(from: string, to: string, subject: string): string {
  const ft = from.split('.');
  const st = subject.split('.');
  const vals: string[] = [];
  let rest = '';
  for (let i = 0; i < ft.length; i++) {
    if (ft[i] === '*') vals.push(st[i] ?? '');
    else if (ft[i] === '>') rest = st.slice(i).join('.');
  }
  let k = 0;
  return to
    .split('.')
    .map((t) => {
      if (t === '*') return vals[k++] ?? '';
      if (t === '>') return rest;
      const m = /^(?:\$(\d+)|\{\{\s*wildcard\s*\(\s*(\d+)\s*\)\s*\}\})$/.exec(t);
      if (m) return vals[Number(m[1] ?? m[2]) - 1] ?? '';
      return t;
    })
    .join('.');
}

/** The subject a stream import delivers under. */
function streamSubject(imp: ImportConfig, subject: string): string {
  if (imp.to !== '') return mapSubject(imp.subject, imp.to, subject);
  if (imp.prefix !== '') return imp.prefix.endsWith('.') ? imp.prefix + subject : `${imp.prefix}.${subject}`;
  return subject;
}

/** Does `pattern` (an export) cover `subject` (an import, possibly with wildcards)? */
export function subjectCovers(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return i < s.length;
    if (i >= s.length) return false;
    if (p[i] === '*') {
      if (s[i] === '>') return false;
      continue;
    }
    if (p[i] !== s[i]) return false;
  }
  return p.length === s.length;
}

/** The export of `exporter` that authorizes `imp` into account `importer`, if any. */
export function findExport(exporter: AccountConfig | undefined, imp: ImportConfig, importer: string): ExportConfig | undefined {
  return exporter?.exports.find(
    (e) => e.kind === imp.kind && subjectCovers(e.subject, imp.subject) && (e.accounts === null || e.accounts.includes(importer)),
  );
}

/**
 * The request with `Nats-Request-Info: {"acc":..,"rtt":..}` added to its headers, as
 * nats-server's processServiceImport does for a client's request.
 */
function withRequestInfo(hdrLen: number, payload: Buffer, src: ClientLink | null, requester: Account): { hdrLen: number; payload: Buffer } {
  const rtt = src === null ? 0 : Math.round(src.rtt * 1e6);
  const info = JSON.stringify({ acc: requester.name, ...(rtt > 0 ? { rtt } : {}) });
  const head = hdrLen > 2 ? payload.toString('latin1', 0, hdrLen - 2) : 'NATS/1.0\r\n';
  const kept = head
    .split('\r\n')
    .filter((line, i) => i === 0 || !line.toLowerCase().startsWith(`${REQUEST_INFO_HDR.toLowerCase()}:`))
    .join('\r\n');
  const hdr = Buffer.from(`${kept}${kept.endsWith('\r\n') ? '' : '\r\n'}${REQUEST_INFO_HDR}: ${info}\r\n\r\n`, 'latin1');
  return { hdrLen: hdr.length, payload: Buffer.concat([hdr, payload.subarray(Math.max(hdrLen, 0))]) };
}

/**
 * Removes the internal subscriptions of earlier wiring, then subscribes every import of
 * `configs` whose export authorizes it. Returns warnings for imports that were skipped.
 */
export function wireImports(host: AccountHost, accounts: ReadonlyMap<string, Account>, configs: readonly AccountConfig[]): string[] {
  for (const acc of accounts.values()) {
    for (const { acc: owner, sub } of acc.importSubs) host.removeSub(owner, sub);
    acc.importSubs.length = 0;
  }
  const byName = new Map(configs.map((c) => [c.name, c]));
  const warnings: string[] = [];
  for (const cfg of configs) {
    const importer = accounts.get(cfg.name);
    if (importer === undefined) continue;
    for (const imp of cfg.imports) {
      const exporter = accounts.get(imp.account);
      const exp = findExport(byName.get(imp.account), imp, cfg.name);
      if (exporter === undefined || exp === undefined) {
        warnings.push(`${imp.kind} import of "${imp.subject}" from account "${imp.account}" into "${cfg.name}" is not authorized`);
        continue;
      }
      if (imp.kind === 'stream') {
        const sub = internalSub(imp.subject, {
          clusterWide: true,
          receive: (subject, reply, hdrLen, payload) => {
            const to = Buffer.from(streamSubject(imp, subject.toString('latin1')), 'latin1');
            importer.deliver(to, reply, hdrLen, payload, 0, null, null);
          },
        });
        host.addSub(exporter, sub);
        importer.importSubs.push({ acc: exporter, sub });
        continue;
      }
      const local = imp.to || imp.subject;
      const singleton = exp.responseType === 'singleton';
      const sub = internalSub(local, {
        clusterWide: false,
        receive: (subject, reply, hdrLen, payload, src) => {
          const s = subject.toString('latin1');
          const to = local === imp.subject ? s : mapSubject(local, imp.subject, s);
          const nr = reply === null ? null : exporter.newServiceReply(host, importer, reply, singleton, exp.responseThresholdMs);
          const m = withRequestInfo(hdrLen, payload, src, importer);
          exporter.deliver(Buffer.from(to, 'latin1'), nr, m.hdrLen, m.payload, TO_ROUTES, null, src);
        },
      });
      host.addSub(importer, sub);
      importer.importSubs.push({ acc: importer, sub });
    }
  }
  return warnings;
}
