// CONNECT options and their decoding with Go encoding/json semantics (nats-server decodes the
// JSON into the client's current options): keys match case-insensitively, unknown keys are
// ignored, null leaves a field as it is, a type mismatch or anything but an object is an error.

export interface ConnectOptions {
  echo: boolean;
  verbose: boolean;
  pedantic: boolean;
  tls_required: boolean;
  nkey: string;
  jwt: string;
  sig: string;
  auth_token: string;
  user: string;
  pass: string;
  name: string;
  lang: string;
  version: string;
  protocol: number;
  account: string;
  new_account: boolean;
  headers: boolean;
  no_responders: boolean;
}

/** nats-server's defaultOpts: what a client has before (or without) CONNECT. */
export function defaultConnectOptions(): ConnectOptions {
  return {
    echo: true,
    verbose: true,
    pedantic: true,
    tls_required: false,
    nkey: '',
    jwt: '',
    sig: '',
    auth_token: '',
    user: '',
    pass: '',
    name: '',
    lang: '',
    version: '',
    protocol: 0,
    account: '',
    new_account: false,
    headers: false,
    no_responders: false,
  };
}

type Kind = 'bool' | 'string' | 'int' | 'object';

const FIELDS: Record<string, Kind> = {
  echo: 'bool',
  verbose: 'bool',
  pedantic: 'bool',
  tls_required: 'bool',
  nkey: 'string',
  jwt: 'string',
  sig: 'string',
  auth_token: 'string',
  user: 'string',
  pass: 'string',
  name: 'string',
  lang: 'string',
  version: 'string',
  protocol: 'int',
  account: 'string',
  new_account: 'bool',
  headers: 'bool',
  no_responders: 'bool',
  import: 'object',
  export: 'object',
};

/**
 * Decodes `json` into `opts` in place. Returns false when Go's json.Unmarshal would fail
 * (nats-server then closes the connection without an -ERR); fields decoded before the failure
 * may have changed, as in Go.
 */
export function decodeConnectInto(opts: ConnectOptions, json: string): boolean {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return false;
  }
  if (v === null) return true;
  if (typeof v !== 'object' || Array.isArray(v)) return false;
  let ok = true;
  const target = opts as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(v as Record<string, unknown>)) {
    const name = key.toLowerCase();
    const kind = FIELDS[name];
    if (kind === undefined || value === null) continue;
    switch (kind) {
      case 'bool':
        if (typeof value === 'boolean') target[name] = value;
        else ok = false;
        break;
      case 'string':
        if (typeof value === 'string') target[name] = value;
        else ok = false;
        break;
      case 'int':
        if (typeof value === 'number' && Number.isSafeInteger(value)) target[name] = value;
        else ok = false;
        break;
      case 'object':
        if (typeof value !== 'object' || Array.isArray(value)) ok = false;
        break;
    }
  }
  return ok;
}
