// The exports and imports of account JWTs as the account graph the config accounts build
// (AccountConfig, wired by imports.ts): nats-server accounts.go UpdateAccountClaims (exports,
// imports and their mapping of `subject`, `to` and `local_subject`) and checkActivation (the
// activation token a private export, `token_req`, needs).

import type { AccountConfig, ExportConfig, ImportConfig } from '../config/types.js';
import { DEFAULT_SERVICE_EXPORT_RESPONSE_THRESHOLD_MS } from '../config/accounts.js';
import { decodeActivationClaims, timeIssue, type AccountClaims } from './claims.js';
import { subjectCovers } from './imports.js';
import { isRevoked } from './revocations.js';
import { type JwtMappings, jwtMappingIssues } from './mappings.js';

type JwtExport = NonNullable<AccountClaims['nats']['exports']>[number];
type JwtImport = NonNullable<AccountClaims['nats']['imports']>[number];

/** One JWT export in the config model; `token_req` makes it private (no account yet). */
function exportConfig(e: JwtExport): ExportConfig {
  const rt = e.response_type === 'Stream' ? 'stream' : e.response_type === 'Chunked' ? 'chunked' : 'singleton';
  return {
    kind: e.type,
    subject: e.subject,
    accounts: e.token_req === true ? [] : null,
    responseType: rt,
    // A Go time.Duration: nanoseconds.
    responseThresholdMs: e.response_threshold ? e.response_threshold / 1e6 : DEFAULT_SERVICE_EXPORT_RESPONSE_THRESHOLD_MS,
  };
}

/**
 * One JWT import in the config model. Streams: `local_subject` maps, else `to` is a prefix.
 * Services: clients publish on `local_subject` (else `subject`), which maps to `subject` in the
 * exporter.
 */
function importConfig(i: JwtImport): ImportConfig {
  if (i.type === 'stream') {
    return { kind: 'stream', account: i.account, subject: i.subject, to: i.local_subject ?? '', prefix: i.local_subject ? '' : (i.to ?? '') };
  }
  return { kind: 'service', account: i.account, subject: i.subject, to: i.local_subject ?? '', prefix: '' };
}

/** The account's exports and imports (its `name` is its public key), before activations. */
export function accountConfig(pub: string, claims: AccountClaims): AccountConfig {
  return {
    name: pub,
    exports: (claims.nats.exports ?? []).map(exportConfig),
    imports: (claims.nats.imports ?? []).map(importConfig),
  };
}

/**
 * nats-server checkActivation: the import's token is an activation JWT for `importer`, issued by
 * the exporter (or one of its signing keys, naming it as issuer_account), covering the imported
 * subject, not expired, and not revoked by the export.
 */
export function activationValid(i: JwtImport, importer: string, exporter: AccountClaims, signers: { has(key: string): boolean }): boolean {
  if (i.token === undefined || i.token === '') return false;
  let act;
  try {
    act = decodeActivationClaims(i.token);
  } catch {
    return false;
  }
  if (act.sub !== importer || timeIssue(act) !== '') return false;
  const issuerAccount = act.nats.issuer_account || act.iss;
  if (issuerAccount !== exporter.sub || !signers.has(act.iss)) return false;
  if (!subjectCovers(act.nats.subject ?? '', i.subject)) return false;
  const exp = (exporter.nats.exports ?? []).find((e) => e.type === i.type && subjectCovers(e.subject, i.subject));
  return exp === undefined || !isRevoked(exp.revocations ?? {}, act.sub, act.iat);
}

/**
 * The blocking issues of jwt/v2 AccountClaims.Validate that nats-server refuses an account for
 * (besides expiry), in its order and with its repetitions: the imports' own errors (type,
 * account, activation tokens for another account or exporter), then the import and export
 * limits and wildcard exports. Empty when none.
 */
export function accountIssues(claims: AccountClaims): string[] {
  const nats = claims.nats;
  const imports = nats.imports ?? [];
  const exports = nats.exports ?? [];
  const lim = (nats.limits ?? {}) as Record<string, unknown>;
  const issues: string[] = jwtMappingIssues((nats as { mappings?: JwtMappings }).mappings);
  for (const i of imports) {
    if (i.type !== 'stream' && i.type !== 'service') issues.push(`invalid import type: "${String(i.type)}"`);
    if (!i.account) issues.push('account to import from is not specified');
    if (i.local_subject && i.to) issues.push('Local Subject replaces To');
    if (i.token === undefined || i.token === '') continue;
    let act;
    try {
      act = decodeActivationClaims(i.token);
    } catch {
      issues.push(`import "${i.subject}" contains an invalid activation token`);
      continue;
    }
    if (act.iss !== i.account && act.nats.issuer_account !== i.account) issues.push(`activation token doesn't match account for import "${i.subject}"`);
    if (act.sub !== claims.sub) issues.push(`activation token doesn't match account it is being included in, "${i.subject}"`);
  }
  // OperatorLimits.IsEmpty: every limit at its zero value.
  const empty = Object.values(lim).every((v) => v === 0 || v === false || v === undefined || v === null);
  const maxImports = typeof lim.imports === 'number' ? lim.imports : 0;
  const maxExports = typeof lim.exports === 'number' ? lim.exports : 0;
  const TOO_MANY_IMPORTS = 'the account contains more imports than allowed by the operator';
  if (!empty && maxImports >= 0 && imports.length > maxImports) issues.push(TOO_MANY_IMPORTS);
  if (maxImports !== -1 && imports.length > maxImports) issues.push(TOO_MANY_IMPORTS);
  if (maxExports !== -1) {
    if (exports.length > maxExports) issues.push('the account contains more exports than allowed by the operator');
    if (lim.wildcards !== true) {
      for (const e of exports) {
        if (/(^|\.)[*>](\.|$)/.test(e.subject)) issues.push('the account contains wildcard exports that are not allowed by the operator');
      }
    }
  }
  return issues;
}
