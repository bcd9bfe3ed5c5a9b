/**
 * ElastAlert 2's `stomp`: the alert as a JSON message to a STOMP broker (ActiveMQ, RabbitMQ...)
 * over TCP. esalert waits for CONNECTED, asks for a RECEIPT of the SEND (so a broker's ERROR frame
 * is seen), then disconnects.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { lookupField, pythonStr } from '../model/lookup.ts';
import { pythonJsonDumps } from '../format/python-json.ts';
import { strftime } from '../util/time.ts';
import type { AlertContent, AlerterDefinition } from './alerter.ts';
import { type FrameParser, type TcpSession, TcpFailure, withTcpSession } from './tcp-session.ts';
import { channelAlerter } from './channel-alerter.ts';
import { failureOutcome } from './http.ts';
import { readOptions } from './options.ts';
import { seconds } from './transport.ts';

const schema = z.object({
  stomp_hostname: z.string().default('localhost'),
  stomp_hostport: z.union([z.int().positive(), z.string().regex(/^\d+$/).transform(Number)]).default(61613),
  stomp_login: z.union([z.string(), z.number()]).transform(String).default('admin'),
  stomp_password: z.union([z.string(), z.number()]).transform(String).default('admin'),
  stomp_destination: z.string().default('/queue/ALERT'),
  stomp_timeout: seconds(10),
});

export interface StompFrame {
  command: string;
  headers: Record<string, string>;
  body: string;
}

/** STOMP 1.1/1.2 header escaping (not used in CONNECT frames). */
const escapeHeader = (v: string) =>
  v.replace(/\\/g, '\\\\').replace(/\r/g, '\\r').replace(/\n/g, '\\n').replace(/:/g, '\\c');
const unescapeHeader = (v: string) =>
  v.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c === 'c' ? ':' : c));

export function stompFrame(command: string, headers: Record<string, string>, body = ''): Buffer {
  const escape = command === 'CONNECT' ? (v: string) => v : escapeHeader;
  const lines = Object.entries(headers).map(([k, v]) => `${escape(k)}:${escape(v)}`);
  return Buffer.concat([
    Buffer.from(`${command}\n${lines.join('\n')}\n\n`, 'utf8'),
    Buffer.from(body, 'utf8'),
    Buffer.from([0]),
  ]);
}

/** Reads one frame, skipping heart-beat newlines before it. */
export const readStompFrame: FrameParser<StompFrame> = (buf) => {
  let start = 0;
  while (start < buf.length && (buf[start] === 0x0a || buf[start] === 0x0d)) start++;
  const headEnd = buf.indexOf('\n\n', start);
  const headEndCr = buf.indexOf('\r\n\r\n', start);
  const [end, sep] = headEndCr >= 0 && (headEnd < 0 || headEndCr < headEnd) ? [headEndCr, 4] : [headEnd, 2];
  if (end < 0) return undefined;
  const [command = '', ...lines] = buf.toString('utf8', start, end).split(/\r?\n/);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = unescapeHeader(line.slice(0, colon));
    if (!(key in headers)) headers[key] = unescapeHeader(line.slice(colon + 1));
  }
  const bodyStart = end + sep;
  const length = headers['content-length'] !== undefined ? Number(headers['content-length']) : undefined;
  const nul = length !== undefined ? bodyStart + length : buf.indexOf(0, bodyStart);
  if (nul < 0 || nul >= buf.length) return undefined;
  return { value: { command, headers, body: buf.toString('utf8', bodyStart, nul) }, length: nul + 1 };
};

/** The message body: ElastAlert 2's fullmessage, as Python's json.dumps writes it. */
export function stompMessage(
  content: AlertContent,
  ruleFile: string | undefined,
  now = Date.now(),
  timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone,
): string {
  const qk = typeof content.options.query_key === 'string' ? content.options.query_key : undefined;
  const tsField =
    typeof content.options.timestamp_field === 'string' ? content.options.timestamp_field : '@timestamp';
  const message: Record<string, unknown> = {};
  const alerts: string[] = [];
  for (const match of content.matches) {
    const key = qk !== undefined ? lookupField(match, qk) : undefined;
    const ts = pythonStr(lookupField(match, tsField));
    if (key !== undefined) {
      alerts.push(`Alert for ${content.ruleName}, ${pythonStr(key)} at ${ts}:`);
      message.match = key;
    } else {
      alerts.push(`Rule ${content.ruleName} generated an alert at ${ts}:`);
      message.match = lookupField(match, tsField) ?? null;
    }
  }
  Object.assign(message, {
    alerts,
    rule: content.ruleName,
    rule_file: ruleFile ?? null,
    matching: content.matchTexts.at(-1) ?? '',
    alertDate: strftime('%Y-%m-%d %H:%M:%S', now, timeZone),
    body: content.body,
    matches: content.matches,
  });
  return pythonJsonDumps(message);
}

async function expectFrame(session: TcpSession, wanted: string, step: string): Promise<StompFrame> {
  const frame = await session.read(readStompFrame);
  if (frame.command === wanted) return frame;
  if (frame.command === 'ERROR') {
    const detail = [frame.headers.message, frame.body.trim()].filter(Boolean).join(': ').slice(0, 300);
    throw new TcpFailure(`the broker answered ${step} with ERROR: ${detail}`, false);
  }
  throw new TcpFailure(
    `the broker answered ${step} with ${frame.command || 'an empty frame'} instead of ${wanted}`,
    false,
  );
}

export const stompAlerter: AlerterDefinition = {
  name: 'stomp',
  aliases: ['elastalert.alerters.stomp.StompAlerter'],
  summary: 'STOMP broker (ActiveMQ, RabbitMQ): the alert as a JSON message to a destination, with a receipt.',
  optionNames: Object.keys(schema.shape),
  create(options, deps) {
    const o = readOptions(schema, options);
    const where = `STOMP ${o.stomp_hostname}:${o.stomp_hostport}`;
    return channelAlerter({
      type: 'stomp',
      service: where,
      channel: `stomp:${o.stomp_hostname}:${o.stomp_hostport}${o.stomp_destination}`,
      info: { type: 'stomp', stomp_destination: o.stomp_destination },
      secrets: [o.stomp_password],
      logger: deps.logger,
      async send(content, signal) {
        const body = stompMessage(content, deps.ruleFile);
        const receipt = `esalert-${randomUUID()}`;
        try {
          await withTcpSession(
            {
              host: o.stomp_hostname,
              port: o.stomp_hostport,
              timeoutMs: o.stomp_timeout * 1000,
              maxReplyBytes: 256 * 1024,
            },
            signal,
            async (session) => {
              await session.write(
                stompFrame('CONNECT', {
                  'accept-version': '1.0,1.1,1.2',
                  host: o.stomp_hostname,
                  login: o.stomp_login,
                  passcode: o.stomp_password,
                  'heart-beat': '0,0',
                }),
              );
              try {
                await expectFrame(session, 'CONNECTED', 'CONNECT');
              } catch (err) {
                if (err instanceof TcpFailure && !err.retryable)
                  throw new TcpFailure(`${err.message} (check stomp_login and stomp_password)`, false);
                throw err;
              }
              await session.write(
                stompFrame(
                  'SEND',
                  {
                    destination: o.stomp_destination,
                    'content-type': 'application/json;charset=utf-8',
                    'content-length': String(Buffer.byteLength(body)),
                    receipt,
                  },
                  body,
                ),
              );
              const got = await expectFrame(session, 'RECEIPT', 'SEND');
              if (got.headers['receipt-id'] !== receipt)
                throw new TcpFailure(
                  `the broker's RECEIPT names ${got.headers['receipt-id']}, not this message`,
                  true,
                );
              await session.write(stompFrame('DISCONNECT', { receipt: `${receipt}-bye` }));
            },
          );
        } catch (err) {
          const out = failureOutcome(err);
          return out.ok ? out : { ...out, reason: `${where}: ${out.reason}` };
        }
        return { ok: true };
      },
    });
  },
};
