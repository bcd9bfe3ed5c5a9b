/**
 * ElastAlert 2's `zabbix`: sends the value 1 per match to a Zabbix trapper item with the Zabbix
 * sender protocol ("ZBXD", flags 0x01, little-endian lengths, a JSON "sender data" request) over
 * TCP, stamped with the match's time, and reads the server's "processed: n; failed: n" reply.
 */
import { inflateSync } from 'node:zlib';
import { z } from 'zod';
import type { Match } from '../model/match.ts';
import { lookupField, pythonStr } from '../model/lookup.ts';
import { strptime } from '../util/time.ts';
import type { AlerterDefinition, SendOutcome } from './alerter.ts';
import { type FrameParser, withTcpSession } from './tcp-session.ts';
import { channelAlerter } from './channel-alerter.ts';
import { failureOutcome } from './http.ts';
import { readOptions } from './options.ts';
import { seconds } from './transport.ts';

const schema = z.object({
  zbx_sender_host: z.string().default('localhost'),
  zbx_sender_port: z.union([z.int().positive(), z.string().regex(/^\d+$/).transform(Number)]).default(10051),
  zbx_host_from_field: z.boolean().default(false),
  zbx_host: z.string({
    error: 'is required: the Zabbix host (or, with zbx_host_from_field, the match field naming it)',
  }),
  zbx_key: z.string({ error: "is required: the key of the host's trapper item" }),
  zbx_timeout: seconds(10),
});

const HEADER = 13;

/** One Zabbix protocol packet: "ZBXD", flags 0x01, data length and reserved (both 32-bit little-endian), data. */
export function zabbixPacket(json: string): Buffer {
  const data = Buffer.from(json, 'utf8');
  const header = Buffer.alloc(HEADER);
  header.write('ZBXD', 0, 'latin1');
  header.writeUInt8(0x01, 4);
  header.writeUInt32LE(data.length, 5);
  header.writeUInt32LE(0, 9);
  return Buffer.concat([header, data]);
}

/** Reads one reply packet (also compressed, 0x02, and large, 0x04, ones). */
export const zabbixReply: FrameParser<string> = (buf) => {
  if (buf.length < 5) return undefined;
  if (buf.toString('latin1', 0, 4) !== 'ZBXD')
    throw new Error('the server did not answer with a Zabbix protocol header');
  const flags = buf.readUInt8(4);
  const large = (flags & 0x04) !== 0;
  const headerLength = large ? 21 : HEADER;
  if (buf.length < headerLength) return undefined;
  const length = large ? Number(buf.readBigUInt64LE(5)) : buf.readUInt32LE(5);
  if (buf.length < headerLength + length) return undefined;
  const data = buf.subarray(headerLength, headerLength + length);
  const text = (flags & 0x02 ? inflateSync(data) : data).toString('utf8');
  return { value: text, length: headerLength + length };
};

/** The seconds since the epoch of a match, as ElastAlert 2 reads its timestamp field. */
export function zabbixClock(value: unknown, timestampType: string, format: string): number | undefined {
  if (typeof value === 'number') return Math.floor(timestampType === 'unix_ms' ? value / 1000 : value);
  if (typeof value !== 'string') return undefined;
  if (/^\s*-?\d+(\.\d+)?\s*$/.test(value)) {
    const n = Number(value);
    return Math.floor(timestampType === 'unix_ms' ? n / 1000 : n);
  }
  const ms = Date.parse(value);
  if (!Number.isNaN(ms)) return Math.floor(ms / 1000);
  const parsed = strptime(value, format);
  return parsed === undefined ? undefined : Math.floor(parsed / 1000);
}

interface SenderItem {
  host: string;
  key: string;
  value: string;
  clock?: number;
}

/** "processed: 1; failed: 0; total: 1; seconds spent: 0.000055" -> counts. */
export function zabbixCounts(info: string): { processed: number; failed: number; total: number } | undefined {
  const n = (name: string) => Number(new RegExp(`${name}:\\s*(\\d+)`).exec(info)?.[1] ?? NaN);
  const counts = { processed: n('processed'), failed: n('failed'), total: n('total') };
  return Number.isNaN(counts.failed) ? undefined : counts;
}

export const zabbixAlerter: AlerterDefinition = {
  name: 'zabbix',
  aliases: ['elastalert.alerters.zabbix.ZabbixAlerter'],
  summary: 'Zabbix trapper item: the value 1 per match over the Zabbix sender protocol (TCP).',
  // timestamp_strptime: how ElastAlert 2's zabbix alerter reads timestamp_field with timestamp_type custom
  optionNames: [...Object.keys(schema.shape), 'timestamp_strptime'],
  create(options, deps) {
    const o = readOptions(schema, options);
    const tsField = typeof options.timestamp_field === 'string' ? options.timestamp_field : '@timestamp';
    const tsType = typeof options.timestamp_type === 'string' ? options.timestamp_type : 'iso';
    const tsFormat =
      typeof options.timestamp_strptime === 'string' ? options.timestamp_strptime : '%Y-%m-%dT%H:%M:%S.%f%z';
    const where = `Zabbix ${o.zbx_sender_host}:${o.zbx_sender_port}`;
    const itemOf = (match: Match): SenderItem | undefined => {
      const host = o.zbx_host_from_field ? lookupField(match, o.zbx_host) : o.zbx_host;
      if (host === undefined || host === '') return undefined;
      const clock = zabbixClock(lookupField(match, tsField), tsType, tsFormat);
      return { host: pythonStr(host), key: o.zbx_key, value: '1', ...(clock !== undefined ? { clock } : {}) };
    };
    return channelAlerter({
      type: 'zabbix',
      service: where,
      channel: `zabbix:${o.zbx_sender_host}:${o.zbx_sender_port}`,
      info: { type: 'zabbix Alerter', zbx_host: o.zbx_host, zbx_key: o.zbx_key },
      secrets: [],
      logger: deps.logger,
      async send(content, signal): Promise<SendOutcome> {
        const items = content.matches.map(itemOf).filter((i): i is SenderItem => i !== undefined);
        const missing = content.matches.length - items.length;
        if (missing > 0)
          deps.logger.warn(
            { field: o.zbx_host, skipped: missing },
            `${missing} match(es) have no "${o.zbx_host}" field (zbx_host_from_field); their values are not sent`,
          );
        if (items.length === 0)
          return {
            ok: false,
            retryable: false,
            reason: `no match has a "${o.zbx_host}" field to name the Zabbix host (zbx_host_from_field is true)`,
          };
        const request = JSON.stringify({ request: 'sender data', data: items });
        let reply: string;
        try {
          reply = await withTcpSession(
            {
              host: o.zbx_sender_host,
              port: o.zbx_sender_port,
              timeoutMs: o.zbx_timeout * 1000,
              maxReplyBytes: 64 * 1024,
            },
            signal,
            async (session) => {
              await session.write(zabbixPacket(request));
              return session.read(zabbixReply);
            },
          );
        } catch (err) {
          const out = failureOutcome(err);
          return out.ok ? out : { ...out, reason: `${where}: ${out.reason}` };
        }
        let parsed: { response?: unknown; info?: unknown };
        try {
          parsed = JSON.parse(reply) as typeof parsed;
        } catch {
          return {
            ok: false,
            retryable: false,
            reason: `${where} answered something other than JSON: ${reply.slice(0, 200)}`,
          };
        }
        const info = typeof parsed.info === 'string' ? parsed.info : '';
        if (parsed.response !== 'success')
          return {
            ok: false,
            retryable: false,
            reason: `${where} refused the request: ${pythonStr(parsed.response)} ${info}`.trim(),
          };
        const counts = zabbixCounts(info);
        if (counts && counts.failed > 0) {
          const hosts = [...new Set(items.map((i) => i.host))].join(', ');
          return {
            ok: false,
            retryable: false,
            reason: `${where} did not accept ${counts.failed} of ${items.length} value(s) (${info}): host "${hosts}" must exist and have a trapper item with key "${o.zbx_key}" whose allowed hosts include this address`,
          };
        }
        deps.logger.info(
          { host: items[0]!.host, key: o.zbx_key },
          `sent ${items.length} value(s) to ${where}`,
        );
        return { ok: true };
      },
    });
  },
};
