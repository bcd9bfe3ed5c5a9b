/**
 * The socket alerters beyond the contract: GELF over TCP and UDP (compressed, chunked) to GELF
 * inputs that check the specification, the Zabbix sender protocol's details, and STOMP conversations
 * with a broker that refuses logins or sends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OptionProblem } from '../../../src/alerters/alerter.ts';
import { gelfAlerter } from '../../../src/alerters/gelf.ts';
import { gelfDatagrams } from '../../../src/alerters/gelf-udp.ts';
import { readStompFrame, stompAlerter, stompFrame } from '../../../src/alerters/stomp.ts';
import {
  zabbixAlerter,
  zabbixClock,
  zabbixCounts,
  zabbixPacket,
  zabbixReply,
} from '../../../src/alerters/zabbix.ts';
import { deflateSync } from 'node:zlib';
import type { Doc } from '../../../src/model/lookup.ts';
import { alertContent, captureLog, deps, signal } from './support/alert-content.ts';
import { startGelfTcp, startGelfUdp } from './support/gelf-listener.ts';
import { startStompBroker } from './support/stomp-broker.ts';
import { startZabbixServer } from './support/zabbix-server.ts';

const MATCH = {
  '@timestamp': '2024-05-14T03:21:09.512Z',
  host: { name: 'node-3' },
  source_ip: '10.0.0.7',
  message: 'disk full',
};
const RULE: Doc = { name: 'socket rule', type: 'any' };
const send = (def: typeof gelfAlerter, options: Doc, matches: Doc[] = [MATCH], log = captureLog()) =>
  def
    .create({ ...RULE, ...options }, deps(log))
    .send(alertContent({ ...RULE, ...options }, matches), signal());

describe('gelf over TCP and UDP', () => {
  it('TCP: one null-terminated GELF 1.1 frame per alert', async () => {
    const l = await startGelfTcp();
    try {
      const out = await send(gelfAlerter, {
        gelf_type: 'tcp',
        gelf_host: '127.0.0.1',
        gelf_port: l.port,
        gelf_payload: { ip: 'source_ip', node: 'host.name' },
      });
      expect(out).toEqual({ ok: true });
      await new Promise((r) => setTimeout(r, 50));
      expect(l.problems).toEqual([]);
      expect(l.messages).toHaveLength(1);
      expect(l.messages[0]).toMatchObject({
        version: '1.1',
        level: 5,
        short_message: '{"Title": "socket rule", "ip": "10.0.0.7", "node": "node-3"}',
      });
    } finally {
      await l.close();
    }
  });

  it('TCP: a refused connection is retryable; a stalled input times out', async () => {
    const l = await startGelfTcp();
    const port = l.port;
    await l.close();
    expect(
      await send(gelfAlerter, { gelf_type: 'tcp', gelf_host: '127.0.0.1', gelf_port: port }),
    ).toMatchObject({ ok: false, retryable: true, reason: expect.stringMatching(/ECONNREFUSED/) });
    const stalled = await startGelfTcp();
    stalled.stall = true;
    try {
      // a message larger than the socket buffers cannot be written out while the input reads nothing
      const big = { ...MATCH, message: 'x'.repeat(16 << 20) };
      const out = await send(
        gelfAlerter,
        {
          gelf_type: 'tcp',
          gelf_host: '127.0.0.1',
          gelf_port: stalled.port,
          gelf_payload: { m: 'message' },
          gelf_timeout: 0.3,
        },
        [big],
      );
      expect(out).toMatchObject({
        ok: false,
        retryable: true,
        reason: expect.stringMatching(/within 300 ms/),
      });
    } finally {
      await stalled.close();
    }
  });

  it('UDP: gzip by default, zlib or plain on request; large messages in chunks the input reassembles', async () => {
    const l = await startGelfUdp();
    try {
      const base = {
        gelf_type: 'udp',
        gelf_host: '127.0.0.1',
        gelf_port: l.port,
        gelf_payload: { m: 'message' },
      };
      expect(await send(gelfAlerter, base)).toEqual({ ok: true });
      expect(await send(gelfAlerter, { ...base, gelf_udp_compression: 'zlib' })).toEqual({ ok: true });
      expect(await send(gelfAlerter, { ...base, gelf_udp_compression: 'none' })).toEqual({ ok: true });
      // random text does not compress: about 40 chunks of 1420 bytes
      const noise = Array.from({ length: 40_000 }, () =>
        String.fromCharCode(33 + Math.floor(Math.random() * 90)),
      ).join('');
      expect(await send(gelfAlerter, base, [{ ...MATCH, message: noise }])).toEqual({ ok: true });
      await new Promise((r) => setTimeout(r, 200));
      expect(l.problems).toEqual([]);
      expect(l.arrivals.map((a) => a.compression)).toEqual(['gzip', 'zlib', 'plain', 'gzip']);
      expect(l.arrivals[3]!.chunks).toBeGreaterThan(20);
      expect(JSON.parse(String(l.messages[3]!.short_message))).toEqual({ Title: 'socket rule', m: noise });
    } finally {
      await l.close();
    }
  });

  it('UDP: more than 128 chunks is refused permanently, pointing to TCP', () => {
    expect(() => gelfDatagrams('x'.repeat(200_000), 'none')).toThrow(/128/);
    expect(gelfDatagrams('{"a":1}', 'none')).toHaveLength(1);
  });

  it('checks its options when the rule loads', () => {
    const problem = (options: Doc) => {
      try {
        gelfAlerter.create({ ...RULE, ...options }, deps(captureLog()));
      } catch (err) {
        return `${(err as OptionProblem).option} ${(err as Error).message}`;
      }
      return 'no problem';
    };
    expect(problem({ gelf_type: 'http' })).toMatch(/^gelf_endpoint is required with gelf_type http/);
    expect(problem({ gelf_type: 'tcp', gelf_host: 'graylog' })).toMatch(/^gelf_port /);
    expect(problem({ gelf_type: 'amqp' })).toMatch(/^gelf_type must be one of "http", "tcp"/);
  });
});

describe('zabbix sender protocol', () => {
  it('frames requests with ZBXD\\1 and little-endian lengths, and reads plain, compressed and large replies', () => {
    const p = zabbixPacket('{"a":"é"}');
    expect(p.subarray(0, 5)).toEqual(Buffer.from('ZBXD\x01', 'latin1'));
    expect(p.readUInt32LE(5)).toBe(10);
    expect(p.readUInt32LE(9)).toBe(0);
    const json = '{"response":"success","info":"processed: 1; failed: 0; total: 1; seconds spent: 0.000055"}';
    expect(zabbixReply(zabbixPacket(json))).toEqual({ value: json, length: 13 + json.length });
    expect(zabbixReply(zabbixPacket(json).subarray(0, 20))).toBeUndefined();
    const z = deflateSync(json);
    const compressed = Buffer.concat([Buffer.from('ZBXD\x03', 'latin1'), Buffer.alloc(8), z]);
    compressed.writeUInt32LE(z.length, 5);
    compressed.writeUInt32LE(json.length, 9);
    expect(zabbixReply(compressed)?.value).toBe(json);
    const large = Buffer.concat([Buffer.from('ZBXD\x05', 'latin1'), Buffer.alloc(16), Buffer.from(json)]);
    large.writeBigUInt64LE(BigInt(json.length), 5);
    expect(zabbixReply(large)?.value).toBe(json);
    expect(() => zabbixReply(Buffer.from('HTTP/1.1 400'))).toThrow(/Zabbix protocol header/);
    expect(zabbixCounts('processed: 2; failed: 1; total: 3; seconds spent: 0.1')).toEqual({
      processed: 2,
      failed: 1,
      total: 3,
    });
  });

  it('stamps values with the match time: ISO text, epoch seconds and milliseconds', () => {
    expect(zabbixClock('2024-05-14T03:21:09.512Z', 'iso', '')).toBe(1715656869);
    expect(zabbixClock('2024-05-14T05:21:09+02:00', 'iso', '')).toBe(1715656869);
    expect(zabbixClock('1715656869', 'unix', '')).toBe(1715656869);
    expect(zabbixClock(1715656869512, 'unix_ms', '')).toBe(1715656869);
    expect(zabbixClock('14/05/2024 03:21', 'custom', '%d/%m/%Y %H:%M')).toBe(1715656860);
    expect(zabbixClock(undefined, 'iso', '')).toBeUndefined();
  });

  it('zbx_host_from_field takes the host from each match, skips matches without it, and a failed value says what to check', async () => {
    const z = await startZabbixServer(['node-3/disk.alert']);
    try {
      const log = captureLog();
      const options = {
        zbx_sender_host: '127.0.0.1',
        zbx_sender_port: z.port,
        zbx_host_from_field: true,
        zbx_host: 'host.name',
        zbx_key: 'disk.alert',
      };
      expect(await send(zabbixAlerter, options, [MATCH, { ...MATCH, host: {} }], log)).toEqual({ ok: true });
      expect(z.requests).toEqual([[{ host: 'node-3', key: 'disk.alert', value: '1', clock: 1715656869 }]]);
      expect(log.text()).toMatch(/1 match\(es\) have no .{0,2}host\.name.{0,2} field/);
      const out = await send(zabbixAlerter, options, [{ ...MATCH, host: { name: 'node-9' } }]);
      expect(out).toMatchObject({
        ok: false,
        retryable: false,
        reason: expect.stringMatching(
          /host "node-9" must exist and have a trapper item with key "disk.alert"/,
        ),
      });
      expect(await send(zabbixAlerter, options, [{ message: 'no host' }])).toMatchObject({
        ok: false,
        retryable: false,
      });
      expect(z.problems).toEqual([]);
    } finally {
      await z.close();
    }
  });
});

describe('stomp', () => {
  const PASS = 'broker-pass-1234';
  let b: Awaited<ReturnType<typeof startStompBroker>>;
  beforeAll(async () => {
    b = await startStompBroker('alerts', PASS);
  });
  afterAll(() => b.close());
  const options = () => ({
    stomp_hostname: '127.0.0.1',
    stomp_hostport: b.port,
    stomp_login: 'alerts',
    stomp_password: PASS,
  });

  it("connects with the login, sends JSON with a receipt, and the body is ElastAlert 2's", async () => {
    const out = await send(stompAlerter, { ...options(), query_key: 'host.name' }, [
      MATCH,
      { ...MATCH, host: { name: 'node-4' } },
    ]);
    expect(out).toEqual({ ok: true });
    expect(b.problems).toEqual([]);
    expect(b.connects.at(-1)).toMatchObject({
      login: 'alerts',
      host: '127.0.0.1',
      'accept-version': '1.0,1.1,1.2',
    });
    const m = b.messages.at(-1)!;
    expect(m.destination).toBe('/queue/ALERT');
    const body = JSON.parse(m.body) as Doc;
    expect(Object.keys(body)).toEqual([
      'match',
      'alerts',
      'rule',
      'rule_file',
      'matching',
      'alertDate',
      'body',
      'matches',
    ]);
    expect(body.match).toBe('node-4');
    expect(body.alerts).toEqual([
      'Alert for socket rule, node-3 at 2024-05-14T03:21:09.512Z:',
      'Alert for socket rule, node-4 at 2024-05-14T03:21:09.512Z:',
    ]);
    // Python's json.dumps layout
    expect(m.body.startsWith('{"match": "node-4", "alerts": [')).toBe(true);
  });

  it('a refused login is permanent and names the options to check; the passcode never shows', async () => {
    const out = await send(stompAlerter, { ...options(), stomp_password: 'wrong-pass-5678' });
    expect(out).toMatchObject({
      ok: false,
      retryable: false,
      reason: expect.stringMatching(/Authentication failed.*stomp_login and stomp_password/),
    });
    expect(JSON.stringify(out)).not.toContain('wrong-pass-5678');
  });

  it('frames: escaped headers outside CONNECT, heart-beat newlines skipped, bodies by content-length', () => {
    expect(stompFrame('SEND', { destination: '/queue/a:b\nc' }, 'x').toString()).toBe(
      'SEND\ndestination:/queue/a\\cb\\nc\n\nx\0',
    );
    expect(stompFrame('CONNECT', { login: 'a:b' }).toString()).toBe('CONNECT\nlogin:a:b\n\n\0');
    const wire = Buffer.from('\n\r\nRECEIPT\nreceipt-id:r\\c1\ncontent-length:3\n\na\0b\0rest');
    expect(readStompFrame(wire)).toEqual({
      value: { command: 'RECEIPT', headers: { 'receipt-id': 'r:1', 'content-length': '3' }, body: 'a\0b' },
      length: wire.length - 4,
    });
    expect(readStompFrame(Buffer.from('CONNECTED\nversion:1.2\n\n'))).toBeUndefined();
  });
});
