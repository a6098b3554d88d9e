// How Go prints the values nats-server's monitoring JSON holds: encoding/json (MarshalIndent with
// two spaces, HTML-safe escaping), time.Time (RFC 3339 with trimmed nanoseconds), time.Duration
// (String()), nats-server's myUptime, and the strconv parsers behind its query decoding, with
// their error texts. Pure functions.

/** Go json.MarshalIndent(v, "", "  "), including Go's escaping of <, >, & and U+2028/2029. */
export function marshalIndent(v: unknown): string {
  return goEscape(JSON.stringify(v, null, 2));
}

/** Go json.Marshal(v) (compact). */
export function marshal(v: unknown): string {
  return goEscape(JSON.stringify(v));
}

/**
 * A value marshal() prints as Go's math.MaxUint64 (18446744073709551615), which a JS number
 * cannot hold: nats-server's "unlimited" uint64 reservations.
 */
export const UINT64_MAX_VALUE = '\u0001u64max';
const UINT64_MAX_JSON = /"\\u0001u64max"/g;

function goEscape(json: string): string {
  return json
    .replace(/[<>&\u2028\u2029]/g, (ch) => '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0'))
    .replace(UINT64_MAX_JSON, '18446744073709551615');
}

/**
 * A tsnats byte string (one char per byte, as subjects, sids and queue names are kept) as the
 * text Go's json.Marshal writes for the same bytes: UTF-8 decoded, invalid sequences → U+FFFD.
 */
export function byteString(s: string): string {
  return /^[\x00-\x7f]*$/.test(s) ? s : Buffer.from(s, 'latin1').toString('utf8');
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/**
 * Go's time.Time JSON form (RFC3339Nano: trailing zeros of the fraction trimmed, no fraction
 * when it is zero) for the epoch milliseconds `ms`. `utc` prints in UTC (`time.Now().UTC()`);
 * otherwise in the local zone with its offset (`time.Now()`), `Z` when the offset is zero.
 */
export function goTime(ms: number, utc = false): string {
  const whole = Math.floor(ms);
  const d = new Date(whole);
  const offMin = utc ? 0 : -d.getTimezoneOffset();
  const t = new Date(whole + offMin * 60_000);
  let s =
    `${pad(t.getUTCFullYear(), 4)}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}` +
    `T${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())}`;
  // Nanoseconds within the second (ms may carry a sub-millisecond fraction).
  const ns = Math.round((ms - Math.floor(whole / 1000) * 1000) * 1e6);
  if (ns > 0) s += '.' + String(ns).padStart(9, '0').replace(/0+$/, '');
  if (offMin === 0) return s + 'Z';
  const a = Math.abs(offMin);
  return `${s}${offMin < 0 ? '-' : '+'}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}

/** Go's fmtFrac: `v` with `prec` decimals, trailing zeros (and a bare '.') dropped. */
function frac(v: number, prec: number): string {
  const p = 10 ** prec;
  const int = Math.floor(v / p);
  const f = v % p;
  if (f === 0) return String(int);
  return `${int}.${String(f).padStart(prec, '0').replace(/0+$/, '')}`;
}

/** Go's time.Duration(ns).String(): "0s", "512ns", "1.5µs", "1.148136ms", "1h2m3.5s". */
export function goDuration(ns: number): string {
  ns = Math.trunc(ns);
  if (ns === 0) return '0s';
  const neg = ns < 0;
  let u = Math.abs(ns);
  let out: string;
  if (u < 1e9) {
    if (u < 1e3) out = `${u}ns`;
    else if (u < 1e6) out = `${frac(u, 3)}µs`;
    else out = `${frac(u, 6)}ms`;
  } else {
    const secs = frac(u % 60e9, 9);
    u = Math.floor(u / 60e9); // whole minutes
    out = `${secs}s`;
    if (u > 0) {
      out = `${u % 60}m${out}`;
      u = Math.floor(u / 60);
      if (u > 0) out = `${u}h${out}`;
    }
  }
  return neg ? '-' + out : out;
}

/** nats-server's myUptime: whole seconds as "1y2d3h4m5s", leading zero units left out. */
export function goUptime(ms: number): string {
  const tsecs = Math.max(0, Math.floor(ms / 1000));
  const tmins = Math.floor(tsecs / 60);
  const thrs = Math.floor(tmins / 60);
  const tdays = Math.floor(thrs / 24);
  const tyrs = Math.floor(tdays / 365);
  if (tyrs > 0) return `${tyrs}y${tdays % 365}d${thrs % 24}h${tmins % 60}m${tsecs % 60}s`;
  if (tdays > 0) return `${tdays}d${thrs % 24}h${tmins % 60}m${tsecs % 60}s`;
  if (thrs > 0) return `${thrs}h${tmins % 60}m${tsecs % 60}s`;
  if (tmins > 0) return `${tmins}m${tsecs % 60}s`;
  return `${tsecs}s`;
}

/** A strconv error, with Go's text (`strconv.Atoi: parsing "x": invalid syntax`). */
export class StrconvError extends Error {}

function quote(s: string): string {
  return JSON.stringify(s);
}

const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** strconv.ParseBool. */
export function parseBool(s: string): boolean {
  switch (s) {
    case '1': case 't': case 'T': case 'true': case 'TRUE': case 'True':
      return true;
    case '0': case 'f': case 'F': case 'false': case 'FALSE': case 'False':
      return false;
  }
  throw new StrconvError(`strconv.ParseBool: parsing ${quote(s)}: invalid syntax`);
}

/** strconv.Atoi on a 64-bit platform (values beyond 2^53 lose precision as JS numbers). */
export function atoi(s: string): number {
  if (!/^[+-]?[0-9]+$/.test(s)) throw new StrconvError(`strconv.Atoi: parsing ${quote(s)}: invalid syntax`);
  const v = BigInt(s);
  if (v > INT64_MAX || v < -INT64_MAX - 1n) throw new StrconvError(`strconv.Atoi: parsing ${quote(s)}: value out of range`);
  return Number(v);
}

/** strconv.ParseUint(s, 10, 64). */
export function parseUint64(s: string): number {
  if (!/^[0-9]+$/.test(s)) throw new StrconvError(`strconv.ParseUint: parsing ${quote(s)}: invalid syntax`);
  const v = BigInt(s);
  if (v > UINT64_MAX) throw new StrconvError(`strconv.ParseUint: parsing ${quote(s)}: value out of range`);
  return Number(v);
}
