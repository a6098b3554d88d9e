// The `mappings` (or `maps`) key, at the top level (the global account's) and inside an
// account: opts.go parseAccountMappings and parseAccountMapDest, with the errors of
// accounts.go AddWeightedMappings. A list of weighted destinations that AddWeightedMappings
// refuses ends in nats-server's interface-conversion panic (it formats the value as a string),
// which stops the rest of the block: mirrored, text and position.

import { ConfigError, goTypeName, type ConfMap, type ConfNode } from './conf.js';
import { atoi, goQuote, goValueV, recovering, type KeyContext, type OptionReader } from './values.js';
import { mappingError } from '../accounts/mappings.js';
import { isValidSubject } from '../subjects/subject.js';
import type { MappingConfig } from './types.js';

type MapDest = MappingConfig['dests'][number];

/**
 * Go's `x.(string)` on `node` inside parseAccountMappings: its panic is reported at the last
 * token that function read, `at` (not at `node`).
 */
function stringAt(node: ConfNode, at: ConfNode): string {
  if (node.kind === 'string') return node.value;
  throw new ConfigError(`interface conversion: interface {} is ${goTypeName(node)}, not string`, at.pos);
}

/** parseAccountMappings: the block's mappings (those that could be made); errors are recorded in `c`. */
export function parseMappings(v: ConfNode, c: KeyContext): MappingConfig[] {
  const out: MappingConfig[] = [];
  recovering(c.report, undefined, () => {
    if (v.kind !== 'map') throw new ConfigError(`interface conversion: interface {} is ${goTypeName(v)}, not map[string]interface {}`, v.pos);
    for (const [subj, mv] of v.value) {
      if (!isValidSubject(subj)) {
        c.error(`Subject ${goQuote(subj)} is not a valid subject`, v.pos);
        continue;
      }
      const adding = (dests: MapDest[], panicAt: ConfNode): void => {
        const err = mappingError(subj, dests);
        if (err === undefined) out.push({ src: subj, dests });
        else if (mv.kind === 'string') c.error(`Error adding mapping for ${goQuote(subj)} to ${goQuote(mv.value)} : ${err}`, mv.pos);
        // nats-server formats the error with `v.(string)`: a panic.
        else stringAt(mv, panicAt);
      };
      if (mv.kind === 'string') adding([{ subject: mv.value, weight: 100, cluster: '' }], mv);
      else if (mv.kind === 'array') {
        const dests: MapDest[] = [];
        for (const item of mv.value) {
          const d = mapDest(item, c);
          if (d !== undefined) dests.push(d);
        }
        adding(dests, mv.value.length > 0 ? mv.value[mv.value.length - 1]! : mv);
      } else {
        const d = mapDest(mv, c);
        if (d !== undefined) adding([d], mv);
      }
    }
  });
  return out;
}

/** parseAccountMapDest: `{ destination, weight, cluster }`; undefined after recording an error. */
function mapDest(v: ConfNode, c: KeyContext): MapDest | undefined {
  if (v.kind !== 'map') {
    c.error('Expected an entry for the mapping destination', v.pos);
    return undefined;
  }
  const d: MapDest = { subject: '', weight: 0, cluster: '' };
  let weighted = false;
  for (const [k, dv] of v.value as ConfMap) {
    switch (k.toLowerCase()) {
      case 'dest':
      case 'destination':
        d.subject = stringAt(dv, v);
        break;
      case 'weight': {
        let w: number | undefined;
        if (dv.kind === 'string') {
          const ws = dv.value.endsWith('%') ? dv.value.slice(0, -1) : dv.value;
          w = atoi(ws);
          if (w === undefined) {
            c.error(`Invalid weight ${goQuote(ws)} for mapping destination`, dv.pos);
            return undefined;
          }
        } else if (dv.kind === 'int') w = dv.value;
        else {
          c.error(`Unknown entry type for weight of ${goValueV(dv)}\n`, dv.pos);
          return undefined;
        }
        if (w > 100 || w < 0) {
          c.error(`Invalid weight ${w} for mapping destination`, dv.pos);
          return undefined;
        }
        d.weight = w;
        weighted = true;
        break;
      }
      case 'cluster':
        d.cluster = stringAt(dv, v);
        break;
      default:
        c.error(`Unknown field ${goQuote(k)} for mapping destination`, dv.pos);
        return undefined;
    }
  }
  if (!weighted) {
    c.error(`Missing weight for mapping destination ${goQuote(d.subject)}`, v.pos);
    return undefined;
  }
  return d;
}

/** The top-level `mappings` / `maps`: the global account's. */
export const MAPPINGS_READER: OptionReader = {
  keys: [[['mappings', 'maps'], (v, c) => (c.opts.mappings = [...c.opts.mappings, ...parseMappings(v, c)])]],
};
