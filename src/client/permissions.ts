// A user's publish/subscribe permissions compiled for checking, as nats-server's client.go
// does it (pubAllowedFullCheck, canSubscribe, checkDenySub): each allow/deny list is a subject
// registry of its entries, and a subject is checked by matching it against them.

import type { Permissions, ResponsePermission, SubjectPermission } from '../config/types.js';
import { matchLiteral } from '../subjects/subject.js';
import { Sublist, type SublistResult } from '../subjects/sublist.js';

interface PermEntry {
  subject: string;
  queue: string | null;
}

/** nats-server's maxPermCacheSize: past it the publish cache is cleared. */
const MAX_PERM_CACHE = 128;

function compile(list: string[] | null): Sublist<PermEntry> | null {
  if (list === null) return null;
  const sl = new Sublist<PermEntry>();
  for (const entry of list) {
    const parts = entry.trim().split(/\s+/);
    sl.insert({ subject: parts[0], queue: parts.length > 1 ? parts[1] : null });
  }
  return sl;
}

function queueMatches(queue: string, r: SublistResult<PermEntry>): boolean {
  if (r.queues.length === 0) return true;
  for (const group of r.queues) {
    const name = group[0].queue as string;
    if (queue === name || (/(^|\.)[*>](\.|$)/.test(name) && matchLiteral(queue, name))) return true;
  }
  return false;
}

export class CompiledPermissions {
  private readonly pubAllow: Sublist<PermEntry> | null;
  private readonly pubDeny: Sublist<PermEntry> | null;
  private readonly subAllow: Sublist<PermEntry> | null;
  private readonly subDeny: Sublist<PermEntry> | null;
  readonly response: ResponsePermission | null;
  private readonly pubCache = new Map<string, boolean>();

  constructor(p: Permissions) {
    const pub: SubjectPermission | null = p.publish;
    const sub: SubjectPermission | null = p.subscribe;
    this.pubAllow = compile(pub?.allow ?? null);
    this.pubDeny = compile(pub?.deny ?? null);
    this.subAllow = compile(sub?.allow?.length ? sub.allow : null);
    this.subDeny = compile(sub?.deny?.length ? sub.deny : null);
    this.response = p.response;
  }

  /** Publish permission without the response allowance (cached per subject). */
  pubAllowed(subject: string): boolean {
    if (this.pubAllow === null && this.pubDeny === null) return true;
    const cached = this.pubCache.get(subject);
    if (cached !== undefined) return cached;
    let allowed = true;
    if (this.pubAllow !== null) allowed = this.pubAllow.match(subject).plain.length > 0;
    if (allowed && this.pubDeny !== null) allowed = this.pubDeny.match(subject).plain.length === 0;
    if (this.pubCache.size >= MAX_PERM_CACHE) this.pubCache.clear();
    this.pubCache.set(subject, allowed);
    return allowed;
  }

  /** nats-server canSubscribe (a queue subscription may be limited to listed queue names). */
  canSubscribe(subject: string, queue: string | null): boolean {
    let allowed = true;
    if (this.subAllow !== null) {
      const r = this.subAllow.match(subject);
      allowed = r.plain.length > 0;
      if (queue !== null && r.queues.length > 0) allowed = queueMatches(queue, r);
    }
    if (allowed && this.subDeny !== null) {
      const r = this.subDeny.match(subject);
      allowed = r.plain.length === 0;
      if (queue !== null && r.queues.length > 0) allowed = !queueMatches(queue, r);
    }
    return allowed;
  }

  /** Deliveries on a subject the user may not subscribe to are dropped (wider wildcards). */
  get filtersDeliveries(): boolean {
    return this.subDeny !== null;
  }

  deliveryDenied(subject: string): boolean {
    return this.subDeny !== null && this.subDeny.match(subject).plain.length > 0;
  }
}
