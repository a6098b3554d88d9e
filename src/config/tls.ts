// The top-level `tls` key (the cluster block reads its `tls` with the same parseTls):
// opts.go parseTLS, then GenTLSConfig's checks.

import type { ConfNode } from './conf.js';
import type { TlsOptions } from './types.js';
import { checkTlsFiles } from '../server/tls.js';
import { goQuote, mapValue, parseGoDuration, type KeyContext, type OptionReader } from './values.js';

/** TLS keys nats-server knows that tsnats accepts and ignores (with a notice). */
const TLS_IGNORED_KEYS: ReadonlySet<string> = new Set([
  'insecure',
  'cipher_suites',
  'curve_preferences',
  'connection_rate_limit',
  'pinned_certs',
]);

/** The top-level `tls` key. */
function tlsKey(v: ConfNode, c: KeyContext): void {
  const parsed = parseTls(v, c, true);
  if (parsed === undefined) return;
  c.opts.tls = parsed.tls;
  c.opts.tlsTimeoutMs = parsed.timeoutMs;
  c.opts.tlsMap = parsed.map;
}

/** A parsed `tls` block (`map`: verify_and_map, `checkKnownUrls`: verify_cert_and_check_known_urls). */
export interface ParsedTls {
  tls: TlsOptions;
  timeoutMs: number;
  map: boolean;
  checkKnownUrls: boolean;
}

/**
 * `tls { cert_file, key_file, ca_file, verify, verify_and_map, verify_cert_and_check_known_urls,
 * timeout }`: nats-server's parseTLS (stops at the first error, with its texts; `clientCtx` is
 * its isClientCtx: the client listener's block, where verify_cert_and_check_known_urls is an
 * error) then GenTLSConfig (cert without key and the like, files loaded), whose error is
 * reported at the block. Either verify_* key set to true implies `verify`. undefined after an
 * error.
 */
export function parseTls(v: ConfNode, c: KeyContext, clientCtx: boolean): ParsedTls | undefined {
  const m = mapValue(v);
  const t: TlsOptions = { certFile: '', keyFile: '', caFile: '', verify: false };
  const parsed: ParsedTls = { tls: t, timeoutMs: 0, map: false, checkKnownUrls: false };
  for (const [key, node] of m) {
    const lk = key.toLowerCase();
    const fail = (reason: string): undefined => void c.error(`error parsing tls config, ${reason}`, node.pos);
    switch (lk) {
      case 'cert_file':
      case 'key_file':
      case 'ca_file':
        if (node.kind !== 'string') return fail(`expected '${lk}' to be filename`);
        if (lk === 'cert_file') t.certFile = node.value;
        else if (lk === 'key_file') t.keyFile = node.value;
        else t.caFile = node.value;
        break;
      case 'verify':
        if (node.kind !== 'bool') return fail(`expected '${lk}' to be a boolean`);
        t.verify = node.value;
        break;
      case 'verify_and_map':
        if (node.kind !== 'bool') return fail(`expected '${lk}' to be a boolean`);
        if (node.value) t.verify = true;
        parsed.map = node.value;
        break;
      case 'verify_cert_and_check_known_urls':
        if (node.kind !== 'bool') return fail(`expected '${lk}' to be a boolean`);
        if (node.value && clientCtx) return void c.error(`${lk} not supported in this context`, node.pos);
        if (node.value) t.verify = true;
        parsed.checkKnownUrls = node.value;
        break;
      case 'timeout':
        if (node.kind === 'int' || node.kind === 'float') parsed.timeoutMs = node.value * 1000;
        else if (node.kind === 'string') {
          try {
            parsed.timeoutMs = Number(parseGoDuration(node.value)) / 1e6;
          } catch (e) {
            return fail(`'timeout' ${(e as Error).message}`);
          }
        } else return fail(`'timeout' wrong type`);
        break;
      default:
        if (TLS_IGNORED_KEYS.has(lk)) c.notice(`tls ${lk} is not supported by tsnats yet: ignored`, node.pos);
        else return fail(`unknown field [${goQuote(key)}]`);
    }
  }
  const err = genTlsCheck(t);
  if (err !== null) return void c.error(err, v.pos);
  return parsed;
}

/** GenTLSConfig's checks: null when the TLS options are usable, else nats-server's error text. */
export function genTlsCheck(t: TlsOptions): string | null {
  if (t.certFile !== '' && t.keyFile === '') return "missing 'key_file' in TLS configuration";
  if (t.certFile === '' && t.keyFile !== '') return "missing 'cert_file' in TLS configuration";
  return checkTlsFiles(t);
}

/** The `tls` key. */
export const TLS_READER: OptionReader = { keys: [[['tls'], tlsKey]] };
