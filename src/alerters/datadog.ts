/**
 * Datadog events (ElastAlert 2's `datadog`): `{"title", "text"}` to the v1 Events API with the
 * DD-API-KEY and DD-APPLICATION-KEY headers. Datadog answers 202 `{"status": "ok", ...}`, or
 * `{"errors": [...]}`: 403 for a key that is wrong or belongs to another site (datadog_api_url),
 * 429 with X-RateLimit-Reset (seconds).
 */
import { z } from 'zod';
import type { AlerterDefinition, SendOutcome } from './alerter.ts';
import { channelAlerter } from './channel-alerter.ts';
import { readOptions } from './options.ts';
import {
  failed,
  firstOf,
  postJson,
  type Reply,
  replyMessage,
  secondsToMs,
  statusHints,
} from './send-request.ts';
import { checkUrl, required, seconds, transport } from './transport.ts';
import { retryAfterMs } from './http.ts';
import { urlDigest } from './url-secrets.ts';

const schema = z.object({
  datadog_api_key: required('a Datadog API key'),
  datadog_app_key: required('a Datadog application key'),
  datadog_api_url: z.string().default('https://api.datadoghq.com/api/v1/events'),
  datadog_proxy: z.string().optional(),
  datadog_timeout: seconds(10),
});

/** 429 with X-RateLimit-Reset: seconds until the limit resets. */
function readRateLimit(r: Reply): SendOutcome | undefined {
  if (r.status !== 429) return undefined;
  const reset = r.headers['x-ratelimit-reset'];
  const wait = secondsToMs(Array.isArray(reset) ? reset[0] : reset) ?? retryAfterMs(r.headers);
  return failed(true, `rate limited (HTTP 429: ${replyMessage(r)})`, wait);
}

const readDatadogReply = firstOf(
  readRateLimit,
  statusHints(
    {
      400: 'Datadog refused the event',
      401: 'the keys are not valid for this site: check datadog_api_key, datadog_app_key, and datadog_api_url (e.g. https://api.datadoghq.eu/api/v1/events for EU)',
      403: 'the keys are not valid for this site: check datadog_api_key, datadog_app_key, and datadog_api_url (e.g. https://api.datadoghq.eu/api/v1/events for EU)',
      404: 'check datadog_api_url',
    },
    'Datadog failed',
  ),
);

export const datadogAlerter: AlerterDefinition = {
  name: 'datadog',
  aliases: ['elastalert.alerters.datadog.DatadogAlerter'],
  summary: 'Datadog events via the v1 Events API (ElastAlert 2 datadog_*).',
  optionNames: Object.keys(schema.shape),
  create(options, deps) {
    const o = readOptions(schema, options);
    const target = checkUrl('datadog_api_url', o.datadog_api_url, 'https://api.datadoghq.com/api/v1/events');
    const t = transport(o, 'datadog', deps);
    const spec = {
      service: 'Datadog',
      http: {
        ...t.http,
        headers: { 'DD-API-KEY': o.datadog_api_key, 'DD-APPLICATION-KEY': o.datadog_app_key },
      },
      read: readDatadogReply,
    };
    return channelAlerter({
      type: 'datadog',
      service: 'Datadog',
      channel: `datadog:${urlDigest(`${target}\n${o.datadog_api_key}`)}`,
      info: { type: 'datadog' },
      secrets: [o.datadog_api_key, o.datadog_app_key, ...t.secrets],
      logger: deps.logger,
      send: (content, signal) => postJson(target, { title: content.title, text: content.body }, spec, signal),
    });
  },
};
