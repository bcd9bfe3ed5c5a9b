/**
 * ElastAlert 2's `gelf`: a GELF message to a Graylog input over HTTP or TCP (and, in esalert, UDP).
 * The short message is the JSON of {"Title": rule name, <key>: <match field>...} as ElastAlert 2
 * writes it.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { z } from 'zod';
import type { Match } from '../model/match.ts';
import { lookupField, type Doc } from '../model/lookup.ts';
import { pythonJsonDumps } from '../format/python-json.ts';
import type { AlerterDefinition, SendOutcome } from './alerter.ts';
import { OptionProblem } from './alerter.ts';
import { type GelfCompression, gelfDatagrams, sendGelfUdp } from './gelf-udp.ts';
import { channelAlerter } from './channel-alerter.ts';
import { failureOutcome } from './http.ts';
import { readOptions } from './options.ts';
import { postJson } from './send-request.ts';
import { caCerts, seconds, transport } from './transport.ts';
import { withTcpSession } from './tcp-session.ts';
import { displayUrl, urlSecrets } from './url-secrets.ts';

const fieldRef = z.union([z.string(), z.object({ field: z.string() }).transform((f) => f.field)]);

const schema = z.object({
  gelf_type: z.enum(['http', 'tcp', 'udp']),
  gelf_endpoint: z.string().optional(),
  gelf_host: z.string().optional(),
  gelf_port: z.union([z.int().positive(), z.string().regex(/^\d+$/).transform(Number)]).optional(),
  gelf_payload: z.record(z.string(), fieldRef).default({}),
  gelf_version: z.union([z.string(), z.number()]).transform(String).default('1.1'),
  gelf_log_level: z
    .union([
      z.int().min(0).max(7),
      z
        .string()
        .regex(/^[0-7]$/)
        .transform(Number),
    ])
    .default(5),
  gelf_http_headers: z.record(z.string(), z.union([z.string(), z.number()]).transform(String)).default({}),
  gelf_ca_cert: caCerts,
  gelf_http_ignore_ssl_errors: z.boolean().default(false),
  gelf_timeout: seconds(30),
  gelf_udp_compression: z.enum(['gzip', 'zlib', 'none']).default('gzip'),
});

const SECRET_HEADER = /auth|token|key|secret|password|cookie/i;

/** The GELF document: version, host, short_message (the payload as Python JSON), level. */
export function gelfMessage(
  o: { gelf_payload: Record<string, string>; gelf_version: string; gelf_log_level: number },
  ruleName: string,
  matches: readonly Match[],
  host = hostname(),
): Doc {
  const payload: Doc = { Title: ruleName };
  // as ElastAlert 2: each match overwrites the keys, so the last match's values remain
  for (const match of matches)
    for (const [key, field] of Object.entries(o.gelf_payload))
      payload[key] = lookupField(match, field) ?? null;
  return { version: o.gelf_version, host, short_message: pythonJsonDumps(payload), level: o.gelf_log_level };
}

export const gelfAlerter: AlerterDefinition = {
  name: 'gelf',
  aliases: ['elastalert.alerters.gelf.GelfAlerter'],
  summary: 'Graylog GELF input over HTTP, TCP or UDP (chunked, gzip/zlib).',
  optionNames: Object.keys(schema.shape),
  create(options, deps) {
    const o = readOptions(schema, options);
    if (o.gelf_type === 'http' && !o.gelf_endpoint)
      throw new OptionProblem(
        'gelf_endpoint',
        'is required with gelf_type http: the GELF HTTP input URL, e.g. http://graylog:12201/gelf',
      );
    if (o.gelf_type !== 'http' && (!o.gelf_host || o.gelf_port === undefined))
      throw new OptionProblem(
        o.gelf_host ? 'gelf_port' : 'gelf_host',
        `gelf_host and gelf_port are required with gelf_type ${o.gelf_type}`,
      );
    const t = transport(o, 'gelf', deps, {
      ca_certs: 'gelf_ca_cert',
      ignore_ssl_errors: 'gelf_http_ignore_ssl_errors',
    });
    const ca = typeof t.http.caCerts === 'string' ? t.http.caCerts : undefined;
    const timeoutMs = t.http.timeoutMs;
    const headerSecrets = Object.entries(o.gelf_http_headers)
      .filter(([k, v]) => SECRET_HEADER.test(k) && v.length >= 4)
      .flatMap(([, v]) => [v, ...v.split(/\s+/).filter((p) => p.length >= 8)]);
    const target =
      o.gelf_type === 'http'
        ? displayUrl(o.gelf_endpoint!)
        : `${o.gelf_type}://${o.gelf_host}:${o.gelf_port}`;
    const spec = {
      service: 'GELF',
      http: { ...t.http, headers: { Accept: 'application/json', ...o.gelf_http_headers } },
    };
    const sendTcp = async (json: string, signal: AbortSignal): Promise<SendOutcome> => {
      let tls: { ca?: Buffer } | undefined;
      if (o.gelf_ca_cert !== undefined && o.gelf_ca_cert !== false) {
        try {
          tls = ca ? { ca: readFileSync(ca) } : {};
        } catch (err) {
          return {
            ok: false,
            retryable: false,
            reason: `gelf_ca_cert: cannot read ${ca} (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
          };
        }
      }
      try {
        await withTcpSession(
          { host: o.gelf_host!, port: o.gelf_port!, timeoutMs, ...(tls ? { tls } : {}) },
          signal,
          // GELF TCP frames end with a null byte; the input does not answer
          (session) => session.write(Buffer.concat([Buffer.from(json, 'utf8'), Buffer.from([0])])),
        );
        return { ok: true };
      } catch (err) {
        return failureOutcome(err);
      }
    };
    const sendUdp = async (json: string, signal: AbortSignal): Promise<SendOutcome> => {
      try {
        await sendGelfUdp(
          o.gelf_host!,
          o.gelf_port!,
          gelfDatagrams(json, o.gelf_udp_compression as GelfCompression),
          timeoutMs,
          signal,
        );
        return { ok: true };
      } catch (err) {
        return failureOutcome(err);
      }
    };

    return channelAlerter({
      type: 'gelf',
      service: `GELF (${o.gelf_type.toUpperCase()})`,
      channel: `gelf:${target}`,
      info: { type: 'gelf', gelf_type: o.gelf_type },
      secrets: [...headerSecrets, ...(o.gelf_endpoint ? urlSecrets(o.gelf_endpoint) : [])],
      logger: deps.logger,
      send: (content, signal) => {
        const json = gelfMessage(o, content.ruleName, content.matches);
        if (o.gelf_type === 'http') return postJson(o.gelf_endpoint!, json, spec, signal);
        const text = JSON.stringify(json);
        return o.gelf_type === 'tcp' ? sendTcp(text, signal) : sendUdp(text, signal);
      },
    });
  },
};
