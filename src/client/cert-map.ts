// TLS certificate to user mapping (`tls { verify_and_map: true }`), as nats-server's
// checkClientTLSCertSubject does it: the names of a client certificate are tried in order
// (email SANs, DNS SANs, URI SANs, the subject as a distinguished name, the subject string with
// its domain components, the subject string) against a lookup the caller supplies. The subject
// rules are Go's: pkix.Name's RDNSequence string (RFC 2253 order, only the attributes Go names)
// and nats-server's go-ldap DN parser and comparisons (positional, then in any order).
//
// The certificate is read from its DER bytes here (a small DER reader, enough for the names):
// Node's own views of it (the subject object, the subjectaltname string) lose the RDN order,
// multi-valued RDNs and the value types Go's rules depend on.

import { goQuote } from './errors.js';

/** One attribute of a subject RDN: the OID (dotted) and its value when it is a string type. */
export interface Atv {
  oid: string;
  value: string | null;
}

/** The names of a certificate that mapping looks at. */
export interface CertNames {
  emails: string[];
  dnsNames: string[];
  uris: string[];
  /** The subject's RDNs in DER order (each a SET of attributes, in DER order). */
  subject: Atv[][];
}

/** A distinguished name as nats-server's go-ldap copy holds it: RDNs of (type, value). */
export type Dn = { type: string; value: string }[][];

/**
 * Looks a name up: `name` is a SAN or a subject string (dn null), or '' with the certificate's
 * DN (go-ldap form). `dnsAltName` says the name is a DNS SAN. Returns the matched user's name,
 * or null to go on with the next name.
 */
export type CertLookup = (name: string, dn: Dn | null, dnsAltName: boolean) => string | null;

// ---- DER ----

interface Tlv {
  tag: number;
  /** Content start and end. */
  start: number;
  end: number;
}

class DerError extends Error {}

function readTlv(b: Uint8Array, pos: number, limit: number): Tlv {
  if (pos + 2 > limit) throw new DerError('short');
  const tag = b[pos]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('high tag');
  let len = b[pos + 1]!;
  let start = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > limit) throw new DerError('length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[start + i]!;
    start += n;
  }
  if (start + len > limit) throw new DerError('overrun');
  return { tag, start, end: start + len };
}

/** `v`, or a DerError when the certificate lacks it. */
function need<T>(v: T | undefined): T {
  if (v === undefined) throw new DerError('missing');
  return v;
}

/** The TLVs inside `t` (a constructed value). */
function children(b: Uint8Array, t: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let p = t.start; p < t.end; ) {
    const c = readTlv(b, p, t.end);
    out.push(c);
    p = c.end;
  }
  return out;
}

function oidString(b: Uint8Array, t: Tlv): string {
  const arcs: number[] = [];
  let v = 0;
  for (let i = t.start; i < t.end; i++) {
    v = v * 128 + (b[i]! & 0x7f);
    if ((b[i]! & 0x80) === 0) {
      if (arcs.length === 0) arcs.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else arcs.push(v);
      v = 0;
    }
  }
  return arcs.join('.');
}

/** An attribute value as Go's asn1 gives it to an interface{}: a string for the string types. */
function stringValue(b: Uint8Array, t: Tlv): string | null {
  const raw = Buffer.from(b.buffer, b.byteOffset + t.start, t.end - t.start);
  switch (t.tag) {
    case 0x0c: // UTF8String
    case 0x14: // T61String (Go keeps the bytes; valid UTF-8 reads the same)
      return raw.toString('utf8');
    case 0x12: // NumericString
    case 0x13: // PrintableString
    case 0x16: // IA5String
      return raw.toString('latin1');
    case 0x1e: // BMPString: UTF-16 big-endian
      return raw.length % 2 === 0 ? Buffer.from(raw).swap16().toString('utf16le') : null;
    default:
      return null;
  }
}

const OID_SAN = '2.5.29.17';

/**
 * The names of the certificate `der` (as Go's x509.ParseCertificate sees them), or null when
 * it cannot be read.
 */
export function certNames(der: Uint8Array): CertNames | null {
  try {
    const tbs = need(children(der, readTlv(der, 0, der.length))[0]);
    const fields = children(der, tbs);
    const off = fields[0]?.tag === 0xa0 ? 1 : 0; // [0] version
    // serial, signature, issuer, validity, subject
    const subject = children(der, need(fields[off + 4])).map((set) =>
      children(der, set).map((atv) => {
        const [type, value] = children(der, atv);
        return { oid: oidString(der, need(type)), value: stringValue(der, need(value)) };
      }),
    );
    const names: CertNames = { emails: [], dnsNames: [], uris: [], subject };
    const exts = fields.slice(off + 6).find((f) => f.tag === 0xa3);
    if (exts === undefined) return names;
    for (const ext of children(der, need(children(der, exts)[0]))) {
      const parts = children(der, ext);
      if (oidString(der, need(parts[0])) !== OID_SAN) continue;
      const octets = need(parts[parts.length - 1]);
      for (const gn of children(der, readTlv(der, octets.start, octets.end))) {
        const text = Buffer.from(der.buffer, der.byteOffset + gn.start, gn.end - gn.start).toString('latin1');
        if (gn.tag === 0x81) names.emails.push(text);
        else if (gn.tag === 0x82) names.dnsNames.push(text);
        else if (gn.tag === 0x86) names.uris.push(goUriString(text));
      }
    }
    return names;
  } catch (e) {
    if (e instanceof DerError) return null;
    throw e;
  }
}

/** Go's url.URL String() after Parse: the scheme comes back in lower case. */
function goUriString(uri: string): string {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri);
  return m === null ? uri : m[1]!.toLowerCase() + uri.slice(m[1]!.length);
}

// ---- Go's pkix.Name ----

/** pkix attributeTypeNames. */
const PKIX_NAMES: Record<string, string> = {
  '2.5.4.6': 'C',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.3': 'CN',
  '2.5.4.5': 'SERIALNUMBER',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.17': 'POSTALCODE',
};

/** The attributes pkix.Name parses into its fields, in ToRDNSequence's order. */
const NAME_FIELDS = ['2.5.4.6', '2.5.4.8', '2.5.4.7', '2.5.4.9', '2.5.4.17', '2.5.4.10', '2.5.4.11'] as const;
const OID_CN = '2.5.4.3';
const OID_SERIAL = '2.5.4.5';
const OID_DC = '0.9.2342.19200300.100.1.25';

/** RDNSequence.String's value escaping. */
function escapeValue(v: string): string {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    const esc = ',+"\\<>;'.includes(c) || (c === ' ' && (i === 0 || i === v.length - 1)) || (c === '#' && i === 0);
    out += esc ? '\\' + c : c;
  }
  return out;
}

/**
 * `cert.Subject.ToRDNSequence().String()`: the attributes pkix.Name keeps (C, ST, L, STREET,
 * POSTALCODE, O, OU as multi-valued RDNs, then the last CN and SERIALNUMBER), most specific
 * first. Anything else in the subject (DC, UID, emailAddress) is not in it.
 */
export function goSubjectString(subject: Atv[][]): string {
  const fields = new Map<string, string[]>();
  let cn = '';
  let serial = '';
  for (const rdn of subject) {
    for (const a of rdn) {
      if (a.value === null) continue;
      if (a.oid === OID_CN) cn = a.value;
      else if (a.oid === OID_SERIAL) serial = a.value;
      else if ((NAME_FIELDS as readonly string[]).includes(a.oid)) fields.set(a.oid, [...(fields.get(a.oid) ?? []), a.value]);
    }
  }
  const seq: [string, string[]][] = NAME_FIELDS.filter((o) => fields.has(o)).map((o) => [o, fields.get(o)!]);
  if (cn !== '') seq.push([OID_CN, [cn]]);
  if (serial !== '') seq.push([OID_SERIAL, [serial]]);
  return seq
    .reverse()
    .map(([oid, values]) => values.map((v) => `${PKIX_NAMES[oid]}=${escapeValue(v)}`).join('+'))
    .join(',');
}

/** Go's Name.String() is not empty: some attribute is shown (a non-pkix one always is). */
function hasSubject(subject: Atv[][], rdn: string): boolean {
  return rdn !== '' || subject.some((set) => set.some((a) => !Object.hasOwn(PKIX_NAMES, a.oid)));
}

/** nats-server getTLSAuthDCs: the subject's DC values in DER order, `DC=a,DC=b`. */
function domainComponents(subject: Atv[][]): string {
  const dcs: string[] = [];
  for (const rdn of subject) for (const a of rdn) if (a.oid === OID_DC && a.value !== null) dcs.push(`DC=${a.value}`);
  return dcs.join(',');
}

// ---- nats-server's go-ldap DN ----

/** go-ldap attributeTypeNames (pkix's and DC). */
const LDAP_NAMES: Record<string, string> = { ...PKIX_NAMES, [OID_DC]: 'DC' };

/**
 * ldap.FromRawCertSubject: the subject most specific RDN first, each RDN's attributes reversed;
 * null when an attribute type has no name there or a value is not a string.
 */
export function dnFromSubject(subject: Atv[][]): Dn | null {
  const dn: Dn = [];
  for (let i = subject.length - 1; i >= 0; i--) {
    const rdn = subject[i]!;
    if (rdn.length === 0) continue;
    const attrs: { type: string; value: string }[] = [];
    for (let j = rdn.length - 1; j >= 0; j--) {
      const a = rdn[j]!;
      const type = LDAP_NAMES[a.oid];
      if (type === undefined || a.value === null) return null;
      attrs.push({ type, value: a.value });
    }
    dn.push(attrs);
  }
  return dn;
}

const HEX = /^[0-9A-Fa-f]{2}$/;

/**
 * ldap.ParseDN (RFC 4514 as go-ldap reads it, byte by byte): null where it returns an error.
 * A plain user name (no `=`) is not a DN.
 */
export function parseDn(str: string): Dn | null {
  const s = Buffer.from(str, 'utf8');
  const dn: Dn = [];
  let rdn: { type: string; value: string }[] = [];
  let buf: number[] = [];
  let type = '';
  let escaping = false;
  let trailing = 0;
  const take = (): string => {
    const v = Buffer.from(buf.slice(0, buf.length - trailing)).toString('utf8');
    buf = [];
    trailing = 0;
    return v;
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (escaping) {
      trailing = 0;
      escaping = false;
      if (' "#+,;<=>\\'.includes(String.fromCharCode(c))) {
        buf.push(c);
        continue;
      }
      if (s.length === i + 1) return null; // got corrupted escaped character
      const hex = s.toString('latin1', i, i + 2);
      if (!HEX.test(hex)) return null;
      buf.push(parseInt(hex, 16));
      i++;
    } else if (c === 0x5c) {
      trailing = 0;
      escaping = true;
    } else if (c === 0x3d) {
      type = take();
      if (s.length > i + 1 && s[i + 1] === 0x23) return null; // unsupported BER encoding
    } else if (c === 0x2c || c === 0x2b) {
      if (type.length === 0) return null; // incomplete type, value pair
      rdn.push({ type, value: take() });
      type = '';
      if (c === 0x2c) {
        dn.push(rdn);
        rdn = [];
      }
    } else if (c === 0x20 && buf.length === 0) {
      continue;
    } else {
      trailing = c === 0x20 ? trailing + 1 : 0;
      buf.push(c);
    }
  }
  if (buf.length > 0) {
    if (type.length === 0) return null; // DN ended with incomplete type, value pair
    rdn.push({ type, value: take() });
    dn.push(rdn);
  }
  return dn;
}

function attrsContain(rdn: Dn[number], attrs: Dn[number]): boolean {
  return attrs.every((a) => rdn.some((m) => m.type.toUpperCase() === a.type.toUpperCase() && m.value === a.value));
}

function rdnEqual(a: Dn[number], b: Dn[number]): boolean {
  return a.length === b.length && attrsContain(a, b) && attrsContain(b, a);
}

/** go-ldap DN.Equal: the same RDNs in the same positions. */
export function dnEqual(a: Dn, b: Dn): boolean {
  return a.length === b.length && a.every((r, i) => rdnEqual(r, b[i]!));
}

/** go-ldap DN.RDNsMatch: the same RDNs in any order. */
export function dnRdnsMatch(a: Dn, b: Dn): boolean {
  return a.length === b.length && a.every((r) => b.some((o) => rdnEqual(r, o)));
}

// ---- checkClientTLSCertSubject ----

/** What the TLS handshake left for auth. */
export interface TlsPeer {
  /** The client's certificate (DER), null when it sent none. */
  cert: Uint8Array | null;
}

/**
 * nats-server checkClientTLSCertSubject: tries the certificate's names in its order and returns
 * whether `lookup` matched one. `peer` is null for a connection without TLS. `debug` gets
 * nats-server's debug lines (without the client prefix).
 */
export function checkCertSubject(peer: TlsPeer | null, lookup: CertLookup, debug: (text: string) => void): boolean {
  if (peer === null) {
    debug('User required in cert, no TLS connection state');
    return false;
  }
  const names = peer.cert === null ? null : certNames(peer.cert);
  if (names === null) {
    debug('User required in cert, no peer certificates found');
    return false;
  }
  const rdn = goSubjectString(names.subject);
  if (names.emails.length === 0 && !hasSubject(names.subject, rdn) && names.uris.length === 0) {
    debug('User required in cert, none found');
    return false;
  }
  const tryNames = (list: string[], dnsAltName: boolean, what: string): boolean => {
    for (const u of list) {
      const match = lookup(u, null, dnsAltName);
      if (match !== null) {
        debug(`Using ${what} found in cert for auth [${goQuoteString(match)}]`);
        return true;
      }
    }
    return false;
  };
  if (tryNames(names.emails, false, 'email') || tryNames(names.dnsNames, true, 'SAN') || tryNames(names.uris, false, 'URI')) {
    return true;
  }
  const dn = dnFromSubject(names.subject);
  if (dn !== null) {
    const match = lookup('', dn, false);
    if (match !== null) {
      debug(`Using DistinguishedNameMatch for auth [${goQuoteString(match)}]`);
      return true;
    }
    debug(`DistinguishedNameMatch could not be used for auth [${goQuoteString(rdn)}]`);
  }
  const dcs = domainComponents(names.subject);
  if (dcs !== '') {
    const u = `${rdn},${dcs}`;
    const match = lookup(u, null, false);
    if (match !== null) {
      debug(`Using RDNSequence for auth [${goQuoteString(match)}]`);
      return true;
    }
    debug(`RDNSequence could not be used for auth [${goQuoteString(u)}]`);
  }
  const match = lookup(rdn, null, false);
  if (match !== null) {
    debug(`Using certificate subject for auth [${goQuoteString(match)}]`);
    return true;
  }
  debug(`User in cert [${goQuoteString(rdn)}], not found`);
  return false;
}

/** Go's %q of a string (through its UTF-8 bytes). */
function goQuoteString(s: string): string {
  return goQuote(Buffer.from(s, 'utf8'));
}
