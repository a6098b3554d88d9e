// An account's subject mappings (nats-server accounts.go AddWeightedMappings,
// selectMappedSubject): a client's publish on a subject a mapping's source matches is delivered
// in the account (and sent on to routes) under a destination picked by weight, as nats-server's
// inbound parser does before it processes the message. The publishing server maps; a message
// from a route is never mapped again.
//
// An account without mappings has `mappings === null` and pays nothing. With mappings, the
// result for each published subject is cached (keyed by the scanner's subject hash, checked
// byte by byte): after the first publish on a subject, picking its destination allocates nothing.

import { bytesToSubject, isSubsetMatch, isValidSubject, subjectEqualsBytes } from '../subjects/subject.js';
import { subjectHash } from '../subjects/hash.js';
import { SubjectTransform, transformTokenize, validateMappingDestination } from '../subjects/transform.js';
import { goQuote } from '../config/values.js';

/** One destination of a mapping as configured (nats-server's MapDest). */
export interface MapDest {
  subject: string;
  /** Percent, 0..100. */
  weight: number;
  /** Only on servers of this cluster ('' = any). */
  cluster: string;
}

/** An account JWT's `mappings` claim (jwt/v2 Mapping of WeightedMapping). */
export type JwtMappings = Record<string, { subject: string; weight?: number; cluster?: string }[] | null>;

/**
 * jwt/v2 Mapping.Validate: the issues of an account JWT's `mappings` (any one makes the claims
 * invalid).
 */
export function jwtMappingIssues(maps: JwtMappings | undefined): string[] {
  const issues: string[] = [];
  for (const [src, list] of Object.entries(maps ?? {})) {
    let total = 0;
    for (const d of list ?? []) {
      if (d.subject.split('.').some((t) => t === '*' || t === '>')) {
        issues.push(`Subject ${goQuote(d.subject)} in weighted mapping ${goQuote(src)} is not allowed to contains wildcard`);
      }
      total = (total + (d.weight || 100)) & 0xff;
    }
    if (total > 100) issues.push(`Mapping ${goQuote(src)} exceeds 100% among all of it's weighted to mappings`);
  }
  return issues;
}

/** A destination with its weight made cumulative (sorted by weight, as nats-server keeps them). */
interface Destination {
  readonly tr: SubjectTransform;
  readonly weight: number;
  /** Index of this destination's result in a cache entry. */
  readonly id: number;
}

interface Mapping {
  readonly src: string;
  readonly wc: boolean;
  readonly dests: Destination[];
  readonly cdests: Map<string, Destination[]> | null;
  /** Destinations in all, for the cache entries' result arrays. */
  readonly count: number;
}

/** What a published subject maps to (one entry per subject in the cache). */
interface Entry {
  /** The subject, latin1. */
  readonly subject: string;
  readonly tokens: string[];
  readonly mapping: Mapping | null;
  /** Per destination id: the mapped subject's bytes, made on first use. */
  readonly results: (Buffer | undefined)[];
}

/** A mapping's destinations as /accountz shows them (cumulative weights). */
export interface MappingView {
  src: string;
  dests: { subject: string; weight: number; cluster: string }[];
}

/** Subjects the cache remembers before it starts over. */
const CACHE_MAX = 4096;
/** The result of a mapping whose weights leave a share unmapped and whose source is listed: the message is dropped. */
export const DROPPED = Buffer.alloc(0);

/**
 * Makes a mapping of `src` to `dests` (AddWeightedMappings). Throws Error with nats-server's
 * text when it cannot be made.
 */
function newMapping(src: string, dests: readonly MapDest[]): Mapping {
  if (!isValidSubject(src)) throw new Error('invalid subject');
  const wc = src.split('.').some((t) => t === '*' || t === '>');
  const plain: Omit<Destination, 'id'>[] = [];
  const scoped = new Map<string, Omit<Destination, 'id'>[]>();
  const seen = new Set<string>();
  let total = 0;
  for (const d of dests) {
    if (seen.has(d.subject)) throw new Error(`duplicate entry for ${goQuote(d.subject)}`);
    seen.add(d.subject);
    if (d.weight > 100) throw new Error('individual weights need to be <= 100');
    total += d.weight;
    if (total > 100) throw new Error('total weight needs to be <= 100');
    validateMappingDestination(d.subject);
    const tr = new SubjectTransform(src, d.subject);
    if (d.cluster === '') plain.push({ tr, weight: d.weight });
    else {
      const list = scoped.get(d.cluster) ?? [];
      list.push({ tr, weight: d.weight });
      scoped.set(d.cluster, list);
    }
  }
  let id = 0;
  // The source itself takes the weight left over, unless it is listed (then the rest is lost).
  const processed = (list: Omit<Destination, 'id'>[]): Destination[] => {
    const sum = list.reduce((n, d) => n + d.weight, 0);
    const out = [...list];
    if (sum !== 100 && !seen.has(src)) {
      out.push({ tr: new SubjectTransform(src, wc ? transformTokenize(src) : src), weight: list.length === 0 ? 100 : 100 - sum });
    }
    out.sort((a, b) => a.weight - b.weight);
    let cumulative = 0;
    return out.map((d) => {
      cumulative += d.weight;
      return { tr: d.tr, weight: cumulative, id: id++ };
    });
  };
  const mdests = processed(plain);
  const cdests = scoped.size === 0 ? null : new Map([...scoped].map(([c, l]) => [c, processed(l)] as const));
  return { src, wc, dests: mdests, cdests, count: id };
}

/** Why `src` cannot be mapped to `dests` (AddWeightedMappings' error text), or undefined. */
export function mappingError(src: string, dests: readonly MapDest[]): string | undefined {
  try {
    newMapping(src, dests);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

export class SubjectMappings {
  private readonly list: Mapping[] = [];
  private readonly cache = new Map<number, Entry>();
  /** This server's cluster name ('' without one), for cluster-scoped destinations. */
  private readonly clusterName: () => string;

  constructor(clusterName: () => string = () => '') {
    this.clusterName = clusterName;
  }

  /**
   * Adds (or replaces, for the same source) the mapping of `src` to `dests`; no destination
   * means `src` itself. Throws Error with nats-server's text.
   */
  add(src: string, dests: readonly MapDest[]): void {
    const m = newMapping(src, dests);
    const i = this.list.findIndex((e) => e.src === src);
    if (i >= 0) this.list[i] = m;
    else this.list.push(m);
    this.cache.clear();
  }

  /** Removes the mapping of `src`; whether there was one. */
  remove(src: string): boolean {
    const i = this.list.findIndex((e) => e.src === src);
    if (i < 0) return false;
    this.list.splice(i, 1);
    this.cache.clear();
    return true;
  }

  get size(): number {
    return this.list.length;
  }

  /** The sources mapped, in order. */
  sources(): string[] {
    return this.list.map((m) => m.src);
  }

  /**
   * The subject a publish on buf[start, end) (FNV-1a `hash`) goes to: null when no mapping
   * matches it, DROPPED when the mapping picked no destination, else the mapped subject's bytes
   * (cached: do not modify). Allocates only the first time a subject is seen.
   */
  select(buf: Uint8Array, start: number, end: number, hash: number): Buffer | null {
    let e = this.cache.get(hash);
    if (e === undefined || !subjectEqualsBytes(e.subject, buf, start, end)) {
      e = this.entry(bytesToSubject(buf, start, end));
      if (this.cache.size >= CACHE_MAX) this.cache.clear();
      this.cache.set(hash, e);
    }
    const m = e.mapping;
    if (m === null) return null;
    let dests = m.dests;
    if (m.cdests !== null) dests = m.cdests.get(this.clusterName()) ?? dests;
    let d: Destination | undefined;
    if (dests.length === 1 && dests[0]!.weight === 100) d = dests[0];
    else {
      const w = (Math.random() * 100) | 0;
      for (let i = 0; i < dests.length; i++) {
        if (w < dests[i]!.weight) {
          d = dests[i];
          break;
        }
      }
    }
    if (d === undefined) return DROPPED;
    return (e.results[d.id] ??= Buffer.from(d.tr.apply(e.tokens), 'latin1'));
  }

  /** select() for a subject as a string (latin1): the mapped subject, '' when dropped, null when unmapped. */
  map(subject: string): string | null {
    const b = Buffer.from(subject, 'latin1');
    const r = this.select(b, 0, b.length, subjectHash(b, 0, b.length));
    return r === null ? null : r.toString('latin1');
  }

  /** The first mapping whose source matches `subject` (selectMappedSubject's search). */
  private entry(subject: string): Entry {
    const tokens = subject.split('.');
    let mapping: Mapping | null = null;
    for (const m of this.list) {
      if (m.wc ? isSubsetMatch(tokens, m.src) : m.src === subject) {
        mapping = m;
        break;
      }
    }
    return { subject, tokens, mapping, results: mapping === null ? [] : new Array<Buffer | undefined>(mapping.count) };
  }

  /**
   * The `mappings` of nats-server's /accountz account info (its ExtMap): source → destinations
   * as written, with cumulative weights, `cluster` only on cluster-scoped ones.
   */
  extMap(): Record<string, { subject: string; weight: number; cluster?: string }[]> {
    const out: Record<string, { subject: string; weight: number; cluster?: string }[]> = {};
    for (const v of this.view()) out[v.src] = v.dests.map((d) => (d.cluster === '' ? { subject: d.subject, weight: d.weight } : d));
    return out;
  }

  /** The mappings as /accountz shows them: destinations as written, cumulative weights. */
  view(): MappingView[] {
    return this.list.map((m) => ({
      src: m.src,
      dests: [
        ...m.dests.map((d) => ({ subject: d.tr.dest, weight: d.weight, cluster: '' })),
        ...[...(m.cdests ?? [])].flatMap(([cluster, ds]) => ds.map((d) => ({ subject: d.tr.dest, weight: d.weight, cluster }))),
      ],
    }));
  }
}
