// Tests for the test helpers themselves (INFO normalization, chunking, frame splitting).

import { describe, expect, it } from 'vitest';
import { normalizeInfo, parseInfo } from './normalize-info.js';
import { cutPieces, frames, rngFor } from './scenario.js';
import { showBytes } from './raw-client.js';

const NS =
  'INFO {"server_id":"NBYLAU2N7EDBJICHRA2JEQ6KQJRITXV3QW4DP3AWX55A6CM66OVHBN72","server_name":"NBYLAU2N7EDBJICHRA2JEQ6KQJRITXV3QW4DP3AWX55A6CM66OVHBN72","version":"2.9.10","proto":1,"go":"go1.19.8","host":"127.0.0.1","port":22327,"headers":true,"max_payload":1048576,"client_id":4,"client_ip":"127.0.0.1"} \r\n';
const NORMAL =
  'INFO {"server_id":"<server_id>","server_name":"<server_id>","version":"2.9.10","proto":1,"go":"<go>","host":"<host>","port":"<port>","headers":true,"max_payload":1048576,"client_id":"<client_id>","client_ip":"<client_ip>"} \r\n';

describe('normalizeInfo', () => {
  it('replaces the variable fields of a nats-server INFO', () => {
    expect(normalizeInfo(NS)).toBe(NORMAL);
  });

  it('makes two servers with different ids, ports and cids equal', () => {
    const other = NS.replaceAll('NBYLAU2N7EDBJICHRA2JEQ6KQJRITXV3QW4DP3AWX55A6CM66OVHBN72', 'NAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')
      .replace('22327', '4222')
      .replace('"client_id":4', '"client_id":17')
      .replace('go1.19.8', 'node-v20.1.0');
    expect(normalizeInfo(other)).toBe(NORMAL);
  });

  it('drops git_commit wherever it is', () => {
    expect(normalizeInfo(NS.replace('"proto":1,', '"proto":1,"git_commit":"abc123",'))).toBe(NORMAL);
  });

  it('keeps a configured server_name', () => {
    const named = NS.replace('"server_name":"NBYLAU2N7EDBJICHRA2JEQ6KQJRITXV3QW4DP3AWX55A6CM66OVHBN72"', '"server_name":"east"');
    expect(normalizeInfo(named)).toContain('"server_name":"east"');
  });

  it('is strict about field order, types, extra fields and framing', () => {
    const swapped = NS.replace('"version":"2.9.10","proto":1', '"proto":1,"version":"2.9.10"');
    expect(normalizeInfo(swapped)).not.toBe(NORMAL);
    expect(normalizeInfo(NS.replace('"port":22327', '"port":"22327"'))).not.toBe(NORMAL);
    expect(normalizeInfo(NS.replace('"client_id":4', '"client_id":"4"'))).not.toBe(NORMAL);
    expect(normalizeInfo(NS.replace('"headers":true,', '"headers":true,"auth_required":false,'))).not.toBe(NORMAL);
    expect(normalizeInfo(NS.replace('} \r\n', '}\r\n'))).not.toBe(NORMAL);
    expect(normalizeInfo(NS.replace(' \r\n', ' \n'))).not.toBe(NORMAL);
    expect(normalizeInfo(NS.replace('"proto":1', '"proto": 1'))).not.toBe(NORMAL);
    expect(normalizeInfo(NS.replace('"server_id":"N', '"server_id":"X'))).not.toBe(NORMAL);
  });

  it('normalizes every INFO line of a transcript and leaves the rest alone', () => {
    const t = `${NS}+OK\r\nMSG INFO 1 2\r\nhi\r\n${NS}`;
    expect(normalizeInfo(t)).toBe(`${NORMAL}+OK\r\nMSG INFO 1 2\r\nhi\r\n${NORMAL}`);
  });

  it('parseInfo reads the JSON', () => {
    expect(parseInfo(NS).max_payload).toBe(1048576);
  });
});

describe('scenario helpers', () => {
  it('cutPieces covers the input exactly, deterministically per seed', () => {
    const data = Buffer.from('PUB foo 5\r\nhello\r\nPING\r\n');
    for (const seed of ['a', 'b', 'c']) {
      const p1 = cutPieces(data, 'random', rngFor(seed));
      const p2 = cutPieces(data, 'random', rngFor(seed));
      expect(Buffer.concat(p1).equals(data)).toBe(true);
      expect(p1.map((b) => b.length)).toEqual(p2.map((b) => b.length));
      expect(p1.length).toBeGreaterThan(1);
    }
    expect(cutPieces(data, 'bytes', rngFor('x')).length).toBe(data.length);
  });

  it('frames keeps payloads whole, even when they look like protocol', () => {
    const t = 'MSG a 1 6\r\nPING\r\n\r\nPING\r\nHMSG b 2 3 5\r\nab\r\nc\r\n+OK\r\n';
    expect(frames(t)).toEqual(['MSG a 1 6\r\nPING\r\n\r\n', 'PING\r\n', 'HMSG b 2 3 5\r\nab\r\nc\r\n', '+OK\r\n']);
  });

  it('showBytes makes control bytes visible', () => {
    expect(showBytes(Buffer.from([0x50, 0x0d, 0x0a, 0x00, 0xff]))).toBe('P\\r\\n\n\\x00\\xff');
  });
});
