/**
 * Alerta (ElastAlert 2's `alerta`): POST <alerta_api_url> (the /alert endpoint) with
 * `Authorization: Key <alerta_api_key>`. Text options take `%(field)s` and `{field}` placeholders
 * from the first match, nested fields written with dots. Alerta answers 201 (created) or 202
 * (accepted, e.g. during a blackout) with `{"status": "ok"}`, or `{"status": "error", "message"}`.
 */
import { z } from 'zod';
import { FormatError, pythonFormat } from '../format/python-format.ts';
import { percentFormatMapping } from '../format/percent-format.ts';
import type { Match } from '../model/match.ts';
import { type Doc, lookupField, pythonStr } from '../model/lookup.ts';
import type { AlertContent, AlerterDefinition } from './alerter.ts';
import { channelAlerter } from './channel-alerter.ts';
import { readOptions } from './options.ts';
import { postJson, statusHints } from './send-request.ts';
import { checkUrl, required, seconds, transport } from './transport.ts';
import { displayUrl, urlDigest, urlSecrets } from './url-secrets.ts';

const schema = z.object({
  alerta_api_url: required('the Alerta API endpoint for alerts, e.g. http://alerta:8080/api/alert'),
  alerta_api_key: z.string().optional(),
  alerta_timeout: z.number().int().default(86400),
  alerta_use_match_timestamp: z.boolean().default(false),
  alerta_use_qk_as_resource: z.boolean().default(false),
  alerta_api_skip_ssl: z.boolean().default(false),
  alerta_severity: z.string().default('warning'),
  alerta_resource: z.string().default('elastalert'),
  alerta_environment: z.string().default('Production'),
  alerta_origin: z.string().default('elastalert'),
  alerta_service: z.array(z.string()).default(['elastalert']),
  alerta_text: z.string().default('elastalert'),
  alerta_type: z.string().default('elastalert'),
  alerta_event: z.string().default('elastalert'),
  alerta_correlate: z.array(z.string()).default([]),
  alerta_tags: z.array(z.string()).default([]),
  alerta_group: z.string().default(''),
  alerta_attributes_keys: z.array(z.string()).default([]),
  alerta_attributes_values: z.array(z.string()).default([]),
  alerta_value: z.string().default(''),
  alerta_proxy: z.string().optional(),
  alerta_request_timeout: seconds(10),
});
type AlertaOptions = z.output<typeof schema>;

/** Nested fields under dotted names ({"a": {"b": 1}} also as "a.b"), then the match itself. */
function flatten(doc: Doc, prefix = '', out: Doc = {}): Doc {
  for (const [k, v] of Object.entries(doc)) {
    if (v && typeof v === 'object' && !Array.isArray(v)) flatten(v as Doc, `${prefix}${k}.`, out);
    else out[`${prefix}${k}`] = v;
  }
  return out;
}

/**
 * ElastAlert 2's resolve_string: `%(field)s` placeholders, then `{field}` placeholders, filled from
 * the match; a field the match lacks becomes `missing`. A text that is not a valid format is left
 * as written.
 */
export function resolveString(text: string, match: Match, missing = '<MISSING VALUE>'): string {
  const values: Doc = { ...flatten(match), ...match, _missing_value: missing };
  const get = (key: string) => (key in values ? values[key] : missing);
  let out = text;
  try {
    out = percentFormatMapping(out, get);
  } catch (err) {
    if (!(err instanceof FormatError)) throw err;
  }
  const kwargs = new Proxy(values, { has: () => true, get: (_t, key) => get(String(key)) });
  try {
    out = pythonFormat(out, [], kwargs);
  } catch (err) {
    if (!(err instanceof FormatError)) throw err;
  }
  return out;
}

/** "%Y-%m-%dT%H:%M:%S.%fZ" in UTC. */
function alertaTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export function alertaPayload(
  o: AlertaOptions,
  content: Pick<AlertContent, 'ruleName' | 'options' | 'matches' | 'matchTexts' | 'body'>,
  now = Date.now(),
): Doc {
  const match = content.matches[0] ?? {};
  const rule = content.options;
  const missing = typeof rule.alert_missing_value === 'string' ? rule.alert_missing_value : '<MISSING VALUE>';
  const resolve = (text: string) => resolveString(text, match, missing);
  const qk = typeof rule.query_key === 'string' ? rule.query_key : undefined;
  const qkValue = qk ? lookupField(match, qk) : undefined;
  let resource = o.alerta_resource;
  if (o.alerta_use_qk_as_resource && qkValue !== undefined && qkValue !== '') resource = pythonStr(qkValue);
  const defaultEvent = () => {
    const v = qk ? match[qk] : undefined;
    return v !== undefined && v !== null && v !== ''
      ? `${content.ruleName}.${pythonStr(v)}`
      : content.ruleName;
  };
  let createTime = now;
  if (o.alerta_use_match_timestamp) {
    const tsField = typeof rule.timestamp_field === 'string' ? rule.timestamp_field : '@timestamp';
    const ts = Date.parse(String(lookupField(match, tsField) ?? ''));
    if (!Number.isNaN(ts)) createTime = ts;
  }
  return {
    resource: resolve(resource),
    severity: resolveString(o.alerta_severity, match),
    timeout: o.alerta_timeout,
    createTime: alertaTime(createTime),
    type: o.alerta_type,
    environment: resolve(o.alerta_environment),
    origin: resolve(o.alerta_origin),
    group: resolve(o.alerta_group),
    event: o.alerta_event === '' ? defaultEvent() : resolve(o.alerta_event),
    text: o.alerta_text === '' ? (content.matchTexts[0] ?? '') : resolve(o.alerta_text),
    value: resolve(o.alerta_value),
    service: o.alerta_service.map(resolve),
    tags: o.alerta_tags.map(resolve),
    correlate: o.alerta_correlate.map(resolve),
    attributes: Object.fromEntries(
      o.alerta_attributes_keys
        .slice(0, o.alerta_attributes_values.length)
        .map((k, i) => [k, resolve(o.alerta_attributes_values[i]!)]),
    ),
    rawData: content.body,
  };
}

const readAlertaReply = statusHints(
  {
    400: 'Alerta refused the alert',
    401: 'check alerta_api_key (an API key with write:alerts)',
    403: 'check alerta_api_key (an API key with write:alerts)',
    404: 'check alerta_api_url (it ends with /alert)',
    405: 'check alerta_api_url (it ends with /alert)',
    429: 'Alerta is rate limiting',
  },
  'Alerta failed',
);

export const alertaAlerter: AlerterDefinition = {
  name: 'alerta',
  aliases: ['elastalert.alerters.alerta.AlertaAlerter'],
  summary: 'Alerta alerts via its /alert API (ElastAlert 2 alerta_*).',
  optionNames: Object.keys(schema.shape),
  create(options, deps) {
    const o = readOptions(schema, options);
    const target = checkUrl('alerta_api_url', o.alerta_api_url, 'http://alerta.example:8080/api/alert');
    const t = transport(o, 'alerta', deps, {
      timeout: 'alerta_request_timeout',
      ignore_ssl_errors: 'alerta_api_skip_ssl',
    });
    const spec = {
      service: 'Alerta',
      http: {
        ...t.http,
        headers: o.alerta_api_key ? { Authorization: `Key ${o.alerta_api_key}` } : undefined,
      },
      read: readAlertaReply,
    };
    return channelAlerter({
      type: 'alerta',
      service: 'Alerta',
      channel: `alerta:${urlDigest(target)}`,
      info: { type: 'alerta', alerta_url: displayUrl(target) },
      secrets: [o.alerta_api_key, ...urlSecrets(target), ...t.secrets],
      logger: deps.logger,
      send: (content, signal) => postJson(target, alertaPayload(o, content), spec, signal),
    });
  },
};
