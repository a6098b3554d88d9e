// JetStream domains as account subject mappings (nats-server's generateJSMappingTable and the
// JetStream deny lists of jetstream_api.go). A server with `jetstream { domain: X }` maps
// `$JS.X.API.<...>` to `$JS.API.<...>` (and `$JS.X.API.$KV.>` / `$OBJ.>` to `$KV.>` / `$OBJ.>`) in
// each account, so that a request for domain X reaches the local API from a client, or from a
// leaf connection where the mapping applies on arrival. Leaf connections carry those sources as
// interest and deny the domain-less API (leaf/leafnodes.ts). Both JetStream and the leaf code use
// this file; it holds no state.

import type { Account } from './account.js';
import { SubjectMappings } from './mappings.js';

/** nats-server's denyAllClientJs: what a leaf connection of an account never carries, both ways. */
export const DENY_ALL_CLIENT_JS: readonly string[] = ['$JS.API.>', '$KV.>', '$OBJ.>'];
/** nats-server's denyAllJs: the same for the system account (with the clustered JetStream subjects). */
export const DENY_ALL_JS: readonly string[] = ['$JSC.>', '$NRG.>', '$JS.API.>', '$KV.>', '$OBJ.>'];

/** generateJSMappingTable's suffixes and destinations, in the order nats-server's map literal lists them. */
const TABLE: readonly (readonly [string, string])[] = [
  ['INFO', '$JS.API.INFO'],
  ['STREAM.>', '$JS.API.STREAM.>'],
  ['CONSUMER.>', '$JS.API.CONSUMER.>'],
  ['DIRECT.>', '$JS.API.DIRECT.>'],
  ['META.>', '$JS.API.META.>'],
  ['SERVER.>', '$JS.API.SERVER.>'],
  ['ACCOUNT.>', '$JS.API.ACCOUNT.>'],
  ['$KV.>', '$KV.>'],
  ['$OBJ.>', '$OBJ.>'],
];

/** nats-server's jsDomainAPI: every subject of domain `domain`'s API. */
export function jsDomainApi(domain: string): string {
  return `$JS.${domain}.API.>`;
}

/** generateJSMappingTable(domain): [source, destination] pairs. */
export function jsDomainMappings(domain: string): [string, string][] {
  return TABLE.map(([suffix, to]) => [`$JS.${domain}.API.${suffix}`, to]);
}

/**
 * `default_js_domain` for an account without JetStream (nats-server's registerAccount): the
 * table flipped, `$JS.API.<...>` (and `$KV.>`, `$OBJ.>`) to domain `domain`'s, so that the
 * account's plain JetStream requests go to that domain. Returns the pairs added.
 */
export function addJsDefaultDomainMappings(acc: Account, domain: string): [string, string][] {
  const added: [string, string][] = [];
  for (const [to, src] of jsDomainMappings(domain)) {
    acc.mappings ??= new SubjectMappings();
    acc.mappings.add(src, [{ subject: to, weight: 100, cluster: '' }]);
    added.push([src, to]);
  }
  return added;
}

/**
 * Adds the domain's mappings to `acc` (nats-server's AddMapping). `keep`: a mapping the account
 * already has for a source stays (enableAllJetStreamServiceImportsAndMappings); otherwise it is
 * replaced (addLeafNodeConnection). Returns the pairs added.
 */
export function addJsDomainMappings(acc: Account, domain: string, keep: boolean): [string, string][] {
  const added: [string, string][] = [];
  const have = new Set(acc.mappings?.sources() ?? []);
  for (const [src, to] of jsDomainMappings(domain)) {
    if (keep && have.has(src)) continue;
    acc.mappings ??= new SubjectMappings();
    acc.mappings.add(src, [{ subject: to, weight: 100, cluster: '' }]);
    added.push([src, to]);
  }
  return added;
}
