// Account imports wired as internal subscriptions (see account.ts for the model): stream
// imports deliver into the importing account under their prefix or mapped subject; service
// imports republish requests in the exporting account with a mapped reply and the
// `Nats-Request-Info` header nats-server adds.

import type { AccountConfig, ExportConfig, ImportConfig } from '../config/types.js';
import { type Account, type AccountHost, type ClientLink, HAS_INTEREST, TO_ROUTES, exactInterest, internalSub } from './account.js';
import { SubjectTransform, TransformError, transformTokenize, transformUntokenize } from '../subjects/transform.js';

/** nats-server's ClientInfoHdr. */
const REQUEST_INFO_HDR = 'Nats-Request-Info';

const hasWildcard = (s: string): boolean => s.split('.').some((t) => t === '*' || t === '>');

/**
 * The subject a stream import delivers a message on `subject` under (nats-server
 * AddMappedStreamImportWithClaim): its `to` (or `prefix.subject`); a wildcard import maps the
 * published subject through a transform.
 */
function streamSubjects(imp: ImportConfig): (subject: string) => string {
  const from = imp.subject;
  const prefixed = imp.prefix === '' ? from : `${imp.prefix}${imp.prefix.endsWith('.') ? '' : '.'}${from}`;
  const to = imp.to !== '' ? imp.to : prefixed;
  if (!hasWildcard(from)) return () => to;
  if (to === from) return (s) => s;
  const tr = new SubjectTransform(from, transformTokenize(to));
  return (s) => tr.transformSubject(s);
}

/**
 * The exported subject a service import's request on `subject` goes to (nats-server
 * addServiceImport: a reversed transform for wildcards, the published subject when both sides
 * are the same).
 */
export function serviceSubjects(from: string, to: string): (subject: string) => string {
  if (!hasWildcard(to)) return () => to;
  if (to === from) return (s) => s;
  const tr = new SubjectTransform(transformUntokenize(to), transformTokenize(from)).reverse();
  if (tr === null) throw new TransformError('invalid subject');
  return (s) => tr.transformSubject(s);
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
      let mapped: (subject: string) => string;
      try {
        mapped = imp.kind === 'stream' ? streamSubjects(imp) : serviceSubjects(imp.to || imp.subject, imp.subject);
      } catch (e) {
        if (!(e instanceof TransformError)) throw e;
        warnings.push(`${imp.kind} import of "${imp.subject}" from account "${imp.account}" into "${cfg.name}": ${e.message}`);
        continue;
      }
      if (imp.kind === 'stream') {
        const sub = internalSub(imp.subject, {
          clusterWide: true,
          receive: (subject, reply, hdrLen, payload, _src, frame) => {
            const to = Buffer.from(mapped(subject.toString('latin1')), 'latin1');
            // A JetStream delivery (frame: the message's own subject) is routed by the mapped
            // deliver subject and keeps its frame, as nats-server's shadow subscriptions do.
            const shown = frame === undefined || frame === subject ? to : frame;
            importer.deliver(to, reply, hdrLen, payload, 0, null, null, undefined, shown);
          },
          exactInterest: (subject, queue) => (exactInterest(importer.sublist, mapped(subject), queue) & HAS_INTEREST) !== 0,
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
          // The exporting account's mappings apply to the request (nats-server processServiceImport).
          const exported = mapped(subject.toString('latin1'));
          const to = exporter.mappings?.map(exported) ?? exported;
          if (to === '') return;
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
