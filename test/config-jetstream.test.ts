// The JetStream keys: `jetstream` (bool, enabled/disabled, or a block), `store_dir`, the
// per-account `jetstream` limits; `-t` verdicts and texts checked against `nats-server -t`.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfigString } from '../src/config/conf.js';
import { optionsFromConfig, validateOptions } from '../src/config/options.js';
import type { ServerOptions } from '../src/config/types.js';
import { errorOf } from './helpers/config-error.js';
import { natsServerCheck, tsnatsCheck } from './helpers/conf-check.js';

function load(text: string, notices: ConfigError[] = []): ServerOptions {
  return optionsFromConfig(parseConfigString(text, 't.conf'), undefined, { notices });
}

describe('jetstream options', () => {
  it('bool, enabled/disabled strings and the block (enabled unless it says otherwise)', () => {
    expect(load('jetstream: true').jetstream).toBe(true);
    expect(load('jetstream: enabled').jetstream).toBe(true);
    expect(load('jetstream: Enable').jetstream).toBe(true);
    expect(load('jetstream: false').jetstream).toBe(false);
    expect(load('jetstream: disabled').jetstream).toBe(false);
    expect(load('jetstream {}').jetstream).toBe(true);
    expect(load('jetstream { enabled: false }').jetstream).toBe(false);
    expect(load('port: 1').jetstream).toBe(false);
  });

  it('store_dir, limits (integers and K/M/G/T strings), domain and sync_interval', () => {
    const o = load('jetstream { store_dir: "/data", max_memory_store: 1GB, max_file_store: "2G", domain: hub, sync_interval: "10s" }');
    expect(o).toMatchObject({
      jetstream: true,
      storeDir: '/data',
      jetStreamMaxMemory: 1024 ** 3,
      jetStreamMaxStore: 2 * 1024 ** 3,
      jetStreamDomain: 'hub',
      jetStreamSyncIntervalMs: 10_000,
    });
    expect(load('jetstream { max_mem: 1024, max_file: "3K" }')).toMatchObject({ jetStreamMaxMemory: 1024, jetStreamMaxStore: 3072 });
    expect(load('store_dir: "/top"\njetstream: enabled')).toMatchObject({ storeDir: '/top', jetstream: true, jetStreamMaxMemory: null });
  });

  it('refusals with nats-server texts', () => {
    expect(errorOf(() => load('jetstream: maybe')).message).toBe("t.conf:1:0: Expected 'enabled' or 'disabled' for string value, got 'maybe'");
    expect(errorOf(() => load('jetstream: 1')).message).toBe('t.conf:1:0: Expected map, bool or string to define JetStream, got int64');
    expect(errorOf(() => load('store_dir: "/a"\njetstream { store_dir: "/b" }')).message).toBe("t.conf:2:13: Duplicate 'store_dir' configuration");
    expect(errorOf(() => load('jetstream { max_mem: "1X" }')).message).toBe('t.conf:1:12: max_mem_store sizes defined as strings must end in K, M, G, T');
    expect(errorOf(() => load('jetstream { max_file: "aG" }')).message).toBe('t.conf:1:12: max_file_store strconv.ParseInt: parsing "a": invalid syntax');
    expect(errorOf(() => load('jetstream { max_file: true }')).message).toBe('t.conf:1:12: max_file_store must be int64 or string');
    expect(errorOf(() => load('jetstream { foo: 1 }')).message).toBe('t.conf:1:12: unknown field "foo"');
  });

  it('a domain that makes no subject or holds . * > is refused at start-up (validateJetStreamOptions), not under -t', () => {
    const start = (d: string): string | undefined => {
      try {
        load(`jetstream { domain: ${JSON.stringify(d)} }`);
        return undefined;
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(start('HUB')).toBeUndefined();
    expect(start('a.b')).toBe('invalid domain name: may not contain ., * or >');
    expect(start('a*')).toBe('invalid domain name: may not contain ., * or >');
    expect(start('a b')).toBe('invalid domain name: derived "$JS.a b.API.>" is not a valid subject');
    expect(load('default_js_domain: { A: hub, B: "" }').jsAccDefaultDomain).toEqual({ A: 'hub', B: '' });
    expect(errorOf(() => load('default_js_domain: { $SYS: hub }')).message).toBe('system account "$SYS" can not be in default_js_domain');
    expect(errorOf(() => load('default_js_domain: { A: "a b" }')).message).toBe('default_js_domain contains account "A" with invalid domain name "a b"');
    const checked = optionsFromConfig(parseConfigString('jetstream { domain: "a.b" }', 't.conf'), undefined, { checkOnly: true });
    expect(() => validateOptions(checked)).toThrow('invalid domain name: may not contain ., * or >');
  });

  it('per account: enabled (unlimited), disabled, or limits', () => {
    const o = load(`accounts {
      A { jetstream: enabled }
      B { jetstream: disabled }
      C { jetstream { max_mem: 1MB, max_file: 2MB, max_streams: 3, max_consumers: 4 } }
      D { }
    }`);
    const js = Object.fromEntries(o.accounts.map((a) => [a.name, a.jetstream ?? null]));
    expect(js.A).toMatchObject({ maxMemory: -1, maxStore: -1, maxStreams: -1, maxConsumers: -1 });
    expect(js.B).toBeNull();
    expect(js.C).toMatchObject({ maxMemory: 1024 ** 2, maxStore: 2 * 1024 ** 2, maxStreams: 3, maxConsumers: 4, maxAckPending: -1 });
    expect(js.D).toBeNull();
    expect(errorOf(() => load('accounts { A { jetstream { max_mem: "x" } } }')).message).toBe(
      't.conf:1:27: Expected a parseable size for "max_mem", got x',
    );
  });

  it('nothing JetStream is reported as ignored any more', () => {
    const notices: ConfigError[] = [];
    load('jetstream { store_dir: "/x" }\naccounts { A { jetstream: enabled } }', notices);
    expect(notices).toEqual([]);
  });
});

describe('jetstream config, -t against nats-server -t', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsnats-cfgjs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // (Both store_dir keys at once is left out: nats-server reads top-level keys in Go map order,
  // so which of the two it reports varies from run to run; the unit test above covers ours.)
  const files = [
    'jetstream: enabled',
    'jetstream: true',
    'jetstream: disabled',
    'jetstream: "maybe"',
    'jetstream: 12',
    'jetstream: [1]',
    `jetstream { store_dir: "${dir}", max_mem: 1G, max_file: 10G, domain: x }`,
    'jetstream { max_memory_store: "10M", max_file_store: "1T" }',
    'jetstream { max_mem: "1Q" }',
    'jetstream { max_file: "xG" }',
    'jetstream { max_file: false }',
    'jetstream { enabled: false }',
    'jetstream { bogus: 1 }',
    'jetstream { domain: "a.b" }',
    'default_js_domain: { A: hub, B: "" }\naccounts { A {}, B {} }',
    'default_js_domain: 5',
    'default_js_domain: [a]',
    'jetstream { domain: "a b" }',
    `store_dir: "${dir}"\njetstream: enabled`,
    'accounts { A { jetstream: enabled, users: [{user: a, password: a}] } }',
    'accounts { A { jetstream: disabled } }',
    'accounts { A { jetstream: "nope" } }',
    'accounts { A { jetstream: 5 } }',
    'accounts { A { jetstream { max_mem: 1G, max_file: 1G, max_streams: 10, max_consumers: 10 } } }',
    'accounts { A { jetstream { max_mem: "1G" } } }',
    'accounts { A { jetstream { max_bytes_required: 1 } } }',
    'accounts { A { jetstream { whatever: 1 } } }',
  ];
  it.each(files)('%j', (text) => {
    const f = path.join(dir, 'js.conf');
    writeFileSync(f, text + '\n');
    expect(tsnatsCheck(f)).toEqual(natsServerCheck(f, dir));
  });
});
