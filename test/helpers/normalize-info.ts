// Makes INFO lines from two different servers comparable.
//
// Only the values that legitimately differ between two servers (or two runs) are replaced,
// and only when they have the right JSON type; everything else (field set, field order,
// value types, JSON formatting, the `INFO <json> \r\n` framing) is left byte-exact so a
// difference shows up in the comparison.

type Rule = (raw: string, value: unknown, ctx: { serverId: unknown }) => string | null;

const isStr = (v: unknown): v is string => typeof v === 'string';
const isUint = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** key -> replacement JSON text, or null to delete the field, or the raw text to keep it. */
const RULES: Record<string, Rule> = {
  // 56-char nkey-style public server id
  server_id: (raw, v) => (isStr(v) && /^N[A-Z2-7]{55}$/.test(v) ? '"<server_id>"' : raw),
  // defaulted to the server id; a configured name is compared as is
  server_name: (raw, v, ctx) => (isStr(v) && v === ctx.serverId ? '"<server_id>"' : raw),
  go: (raw, v) => (isStr(v) && v.length > 0 ? '"<go>"' : raw),
  host: (raw, v) => (isStr(v) && v.length > 0 ? '"<host>"' : raw),
  port: (raw, v) => (isUint(v) && v > 0 && v < 65536 ? '"<port>"' : raw),
  client_id: (raw, v) => (isUint(v) && v > 0 ? '"<client_id>"' : raw),
  client_ip: (raw, v) => (isStr(v) && v.length > 0 ? '"<client_ip>"' : raw),
  nonce: (raw, v) => (isStr(v) && v.length > 0 ? '"<nonce>"' : raw),
  // absent in the Debian nats-server build, absent in tsnats
  git_commit: (_raw, v) => (isStr(v) ? null : _raw),
};

// a JSON scalar: string or number (the variable fields are never objects/arrays/bools)
const FIELD_RE = /(,?)"([a-z_]+)":("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)/g;

/** Normalize one INFO JSON text (the part between `INFO ` and the line end). */
export function normalizeInfoJson(json: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return json; // leave unparseable JSON as is: it will show up as a difference
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return json;
  const ctx = { serverId: (parsed as Record<string, unknown>).server_id };
  let depth = 0;
  // only rewrite top-level fields: track brace depth by scanning, cheap enough for one line
  const topLevel = new Set<number>();
  let inStr = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (inStr) {
      if (c === '\\') i++;
      else if (c === '"') inStr = false;
      continue;
    }
    if (c === '"') {
      if (depth === 1) topLevel.add(i);
      inStr = true;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return json.replace(FIELD_RE, (whole, comma: string, key: string, rawVal: string, offset: number) => {
    const keyPos = offset + comma.length;
    if (!topLevel.has(keyPos)) return whole;
    const rule = RULES[key];
    if (!rule) return whole;
    let value: unknown;
    try {
      value = JSON.parse(rawVal);
    } catch {
      return whole;
    }
    const rep = rule(rawVal, value, ctx);
    if (rep === null) return ''; // drop the field (and its leading comma)
    return `${comma}"${key}":${rep}`;
  });
}

/**
 * Normalize every INFO line in a transcript (latin1/utf8 text). A line is `INFO` at the start
 * of the text or after a LF; its JSON runs to the end of the line. The framing around the JSON
 * (the separator, a trailing space, CRLF) is kept exactly.
 */
export function normalizeInfo(text: string): string {
  return text.replace(/(^|\n)(INFO[ \t]+)(\{[^\r\n]*\})([ \t]*\r?\n|[ \t]*$)/g, (_m, pre: string, verb: string, json: string, tail: string) => {
    // a leading comma of the first field cannot exist; if git_commit was first, fix "{,"
    let n = normalizeInfoJson(json);
    n = n.replace(/^\{,/, '{');
    return `${pre}${verb}${n}${tail}`;
  });
}

/** Parse the first INFO line in a text (for tests that want field values). */
export function parseInfo(text: string): Record<string, unknown> {
  const m = /(?:^|\n)INFO[ \t]+(\{[^\r\n]*\})/.exec(text);
  if (!m) throw new Error(`no INFO line in ${JSON.stringify(text.slice(0, 200))}`);
  return JSON.parse(m[1]!) as Record<string, unknown>;
}
