/**
 * Flashduty (ElastAlert 2's `flashduty`): a standard alert event, `{"title", "description",
 * "event_status", "alert_key", "labels"}`, to
 * https://api.flashcat.cloud/event/push/alert/standard?integration_key=<key>. Flashduty answers
 * `{"request_id", "data"}`, or `{"request_id", "error": {"code", "message"}}`.
 */
import { z } from 'zod';
import type { Doc } from '../model/lookup.ts';
import type { AlertContent, AlerterDefinition, SendOutcome } from './alerter.ts';
import { OptionProblem } from './alerter.ts';
import { channelAlerter } from './channel-alerter.ts';
import { retryAfterMs } from './http.ts';
import { readOptions } from './options.ts';
import { detail, failed, isRetryableStatus, postJson, type Reply, replyObject } from './send-request.ts';
import { required, seconds, transport } from './transport.ts';
import { displayUrl, urlDigest } from './url-secrets.ts';

const LABELS = ['check', 'service', 'cluster', 'resource', 'metric', 'group', 'env', 'app'] as const;

const schema = z.object({
  flashduty_integration_key: required('the integration key of a Flashduty standard alert integration'),
  flashduty_title: z.string().default('ElastAlert Alert'),
  flashduty_description: z.string().optional(),
  flashduty_event_status: z.enum(['Info', 'Warning', 'Critical', 'Ok']).default('Info'),
  flashduty_alert_key: z.string().optional(),
  ...Object.fromEntries(LABELS.map((l) => [`flashduty_${l}`, z.string().optional()])),
  flashduty_api_url: z.string().default('https://api.flashcat.cloud/event/push/alert/standard'),
  flashduty_proxy: z.string().optional(),
  flashduty_timeout: seconds(10),
});
type FlashdutyOptions = z.output<typeof schema> &
  Partial<Record<`flashduty_${(typeof LABELS)[number]}`, string>>;

/** The event; options that are not set are left out (ElastAlert 2 sends them as null). */
export function flashdutyPayload(o: FlashdutyOptions, content: Pick<AlertContent, 'body'>): Doc {
  const labels: Doc = {};
  for (const l of LABELS) {
    const v = o[`flashduty_${l}`];
    if (v !== undefined) labels[l] = v;
  }
  labels.information = content.body;
  return {
    title: o.flashduty_title,
    ...(o.flashduty_description !== undefined ? { description: o.flashduty_description } : {}),
    event_status: o.flashduty_event_status,
    ...(o.flashduty_alert_key !== undefined ? { alert_key: o.flashduty_alert_key } : {}),
    labels,
  };
}

function readFlashdutyReply(r: Reply): SendOutcome | undefined {
  const e = replyObject(r)?.error as { code?: unknown; message?: unknown } | undefined;
  if (!e) return undefined;
  const code = typeof e.code === 'string' ? e.code : '';
  const rate = /limit|frequen|toomany/i.test(code) || r.status === 429;
  const hint = rate
    ? 'sending too fast'
    : /auth|key|permission|unauthor/i.test(code) || r.status === 401 || r.status === 403
      ? 'check flashduty_integration_key'
      : 'Flashduty refused the event';
  return failed(
    rate || isRetryableStatus(r.status),
    `HTTP ${r.status}, error ${code || '-'} (${detail(e.message ?? r.body)}): ${hint}`,
    retryAfterMs(r.headers),
  );
}

export const flashdutyAlerter: AlerterDefinition = {
  name: 'flashduty',
  aliases: ['elastalert.alerters.flashduty.FlashdutyAlerter'],
  summary: 'Flashduty standard alert events (ElastAlert 2 flashduty_*).',
  optionNames: Object.keys(schema.shape),
  create(options, deps) {
    const o = readOptions(schema, options) as FlashdutyOptions;
    let target: string;
    try {
      const u = new URL(o.flashduty_api_url);
      u.searchParams.set('integration_key', o.flashduty_integration_key);
      target = u.toString();
    } catch {
      throw new OptionProblem(
        'flashduty_api_url',
        'must be a URL such as https://api.flashcat.cloud/event/push/alert/standard',
      );
    }
    const t = transport(o, 'flashduty', deps);
    const spec = { service: 'Flashduty', http: t.http, read: readFlashdutyReply };
    return channelAlerter({
      type: 'flashduty',
      service: 'Flashduty',
      channel: `flashduty:${urlDigest(target)}`,
      info: {
        type: 'flashduty',
        flashduty_api_url: displayUrl(target),
        flashduty_title: o.flashduty_title,
        flashduty_event_status: o.flashduty_event_status,
        ...(o.flashduty_alert_key !== undefined ? { flashduty_alert_key: o.flashduty_alert_key } : {}),
      },
      secrets: [o.flashduty_integration_key, ...t.secrets],
      logger: deps.logger,
      send: (content, signal) => postJson(target, flashdutyPayload(o, content), spec, signal),
    });
  },
};
