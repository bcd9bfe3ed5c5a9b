/**
 * PagerDuty events (ElastAlert 2's `pagerduty`): Events API v1 (the generic create_event.json,
 * service_key in the body, the default) or v2 (/v2/enqueue, routing_key in the body,
 * pagerduty_api_version: v2). PagerDuty answers 200/202 `{"status": "success", ...}`, 400
 * `{"status": "invalid event", "errors": [...]}`, and 429 (v2) or 403 (v1) when throttled.
 */
import { z } from 'zod';
import { argValues } from '../format/alert-text.ts';
import { FormatError, pythonFormat } from '../format/python-format.ts';
import type { Match } from '../model/match.ts';
import { type Doc, lookupField } from '../model/lookup.ts';
import type { AlertContent, AlerterDefinition } from './alerter.ts';
import { channelAlerter } from './channel-alerter.ts';
import { retryAfterMs } from './http.ts';
import { readOptions } from './options.ts';
import { failed, firstOf, postJson, replyMessage, type ReplyReader, statusHints } from './send-request.ts';
import { caCerts, checkUrl, required, seconds, transport } from './transport.ts';
import { urlDigest } from './url-secrets.ts';

const args = z.array(z.string()).optional();

const schema = z.object({
  pagerduty_service_key: required("the service's integration key (Events API)"),
  pagerduty_client_name: z.string({ error: 'is required: the name of the monitoring client (e.g. esalert)' }),
  pagerduty_event_type: z.enum(['trigger', 'resolve', 'acknowledge', 'none']).default('trigger'),
  pagerduty_incident_key: z.string().default(''),
  pagerduty_incident_key_args: args,
  pagerduty_proxy: z.string().optional(),
  pagerduty_ca_certs: caCerts,
  pagerduty_ignore_ssl_errors: z.boolean().default(false),
  pagerduty_api_version: z.enum(['v1', 'v2']).default('v1'),
  pagerduty_api_url: z.string().optional(),
  pagerduty_timeout: seconds(10),
  pagerduty_v2_payload_class: z.string().default(''),
  pagerduty_v2_payload_class_args: args,
  pagerduty_v2_payload_component: z.string().default(''),
  pagerduty_v2_payload_component_args: args,
  pagerduty_v2_payload_group: z.string().default(''),
  pagerduty_v2_payload_group_args: args,
  pagerduty_v2_payload_severity: z.enum(['critical', 'error', 'warning', 'info']).default('critical'),
  pagerduty_v2_payload_source: z.string().default('ElastAlert'),
  pagerduty_v2_payload_source_args: args,
  pagerduty_v2_payload_custom_details: z.record(z.string(), z.string()).default({}),
  pagerduty_v2_payload_include_all_info: z.boolean().default(true),
});
type PagerDutyOptions = z.output<typeof schema>;

const API_URLS = {
  v1: 'https://events.pagerduty.com/generic/2010-04-15/create_event.json',
  v2: 'https://events.pagerduty.com/v2/enqueue',
};

/** A key formatted with *_args values (match field, else rule option, else alert_missing_value). */
function formatted(
  option: string,
  key: string,
  keyArgs: string[] | undefined,
  rule: Doc,
  first: Match,
): string {
  if (!keyArgs?.length) return key;
  try {
    return pythonFormat(key, argValues(rule, first, keyArgs));
  } catch (err) {
    if (err instanceof FormatError) throw new FormatError(`${option}: ${err.message}`);
    throw err;
  }
}

/** Python's `value or default`. */
const orElse = (v: unknown, fallback: unknown) =>
  v === undefined || v === null || v === false || v === 0 || v === '' ? fallback : v;

/** The event for an alert; throws FormatError when a *_args key does not format. */
export function pagerDutyPayload(
  o: PagerDutyOptions,
  content: Pick<AlertContent, 'title' | 'body' | 'matches' | 'options'>,
): Doc {
  const rule = content.options;
  const first = content.matches[0] ?? {};
  const incidentKey = formatted(
    'pagerduty_incident_key',
    o.pagerduty_incident_key,
    o.pagerduty_incident_key_args,
    rule,
    first,
  );
  if (o.pagerduty_api_version === 'v1') {
    return {
      service_key: o.pagerduty_service_key,
      description: content.title,
      event_type: o.pagerduty_event_type,
      incident_key: incidentKey,
      client: o.pagerduty_client_name,
      details: { information: content.body },
    };
  }
  const details: Doc = o.pagerduty_v2_payload_include_all_info ? { information: content.body } : {};
  for (const match of content.matches)
    for (const [key, field] of Object.entries(o.pagerduty_v2_payload_custom_details))
      details[key] = orElse(lookupField(match, field), field);
  const part = (name: 'class' | 'component' | 'group' | 'source') =>
    formatted(
      `pagerduty_v2_payload_${name}`,
      o[`pagerduty_v2_payload_${name}`],
      o[`pagerduty_v2_payload_${name}_args`],
      rule,
      first,
    );
  const payload: Doc = {
    class: part('class'),
    component: part('component'),
    group: part('group'),
    severity: o.pagerduty_v2_payload_severity,
    source: part('source'),
    summary: content.title,
    custom_details: details,
  };
  const tsField = typeof rule.timestamp_field === 'string' ? rule.timestamp_field : '@timestamp';
  const timestamp = lookupField(first, tsField);
  if (orElse(timestamp, undefined) !== undefined) payload.timestamp = timestamp;
  return {
    routing_key: o.pagerduty_service_key,
    event_action: o.pagerduty_event_type,
    dedup_key: incidentKey,
    client: o.pagerduty_client_name,
    payload,
  };
}

function readPagerDutyReply(version: 'v1' | 'v2'): ReplyReader {
  return firstOf(
    // v1 answers 403 when it throttles
    (r) =>
      r.status === 429 || (version === 'v1' && r.status === 403)
        ? failed(true, `throttled (HTTP ${r.status}: ${replyMessage(r)})`, retryAfterMs(r.headers))
        : undefined,
    statusHints(
      {
        400: 'PagerDuty refused the event; when it names routing_key or service_key, check pagerduty_service_key (an Events API integration key for this API version)',
        401: 'check pagerduty_service_key and pagerduty_api_version',
        403: 'check pagerduty_service_key and pagerduty_api_version',
        404: 'check pagerduty_service_key and pagerduty_api_version',
      },
      'PagerDuty failed',
    ),
  );
}

export const pagerDutyAlerter: AlerterDefinition = {
  name: 'pagerduty',
  aliases: ['elastalert.alerters.pagerduty.PagerDutyAlerter'],
  summary: 'PagerDuty Events API v1 or v2 (ElastAlert 2 pagerduty_*).',
  optionNames: Object.keys(schema.shape),
  create(options, deps) {
    const o = readOptions(schema, options);
    const version = o.pagerduty_api_version;
    const target = checkUrl('pagerduty_api_url', o.pagerduty_api_url ?? API_URLS[version], API_URLS[version]);
    const t = transport(o, 'pagerduty', deps);
    const spec = { service: 'PagerDuty', http: t.http, read: readPagerDutyReply(version) };
    return channelAlerter({
      type: 'pagerduty',
      service: 'PagerDuty',
      channel: `pagerduty:${urlDigest(`${target}\n${o.pagerduty_service_key}`)}`,
      info: { type: 'pagerduty', pagerduty_client_name: o.pagerduty_client_name },
      secrets: [o.pagerduty_service_key, ...t.secrets],
      logger: deps.logger,
      send: (content, signal) => postJson(target, pagerDutyPayload(o, content), spec, signal),
    });
  },
};
