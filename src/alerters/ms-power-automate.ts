/**
 * Microsoft Power Automate workflows, e.g. "Post to a channel when a webhook request is received"
 * in Teams (ElastAlert 2's `ms_power_automate`): an Adaptive Card message. The workflow URL
 * carries its signature in the query (`sig=`). Power Automate answers 202, or
 * `{"error": {"code", "message"}}` (401/404 for a wrong or deleted workflow, 429 with Retry-After).
 */
import { z } from 'zod';
import { stringList } from '../config/fields.ts';
import { type Doc, lookupField } from '../model/lookup.ts';
import type { AlertContent, AlerterDefinition } from './alerter.ts';
import { channelAlerter } from './channel-alerter.ts';
import { discoverUrl } from './chat-text.ts';
import { readOptions } from './options.ts';
import { failed, postJson, sendEach, statusHints } from './send-request.ts';
import { caCerts, checkUrl, seconds, transport } from './transport.ts';
import { urlDigest, urlSecrets } from './url-secrets.ts';
import { redactText } from '../util/redact.ts';

const textSize = z.enum(['default', 'small', 'medium', 'large', 'extraLarge']);
const actionStyle = z.enum(['default', 'positive', 'destructive']);

const schema = z.object({
  ms_power_automate_webhook_url: stringList,
  ms_power_automate_webhook_url_from_field: z.string().optional(),
  ms_power_automate_proxy: z.string().optional(),
  ms_power_automate_alert_summary: z.string().optional(),
  ms_power_automate_summary_text_size: textSize.default('large'),
  ms_power_automate_body_text_size: z.union([textSize, z.literal('')]).default(''),
  ms_power_automate_ca_certs: caCerts,
  ms_power_automate_ignore_ssl_errors: z.boolean().default(false),
  ms_power_automate_alert_facts: z.array(z.looseObject({ name: z.string(), value: z.string() })).default([]),
  ms_power_automate_kibana_discover_color: actionStyle.default('default'),
  ms_power_automate_kibana_discover_attach_url: z.boolean().default(false),
  ms_power_automate_kibana_discover_title: z.string().default('Discover in Kibana'),
  ms_power_automate_opensearch_discover_color: actionStyle.default('default'),
  ms_power_automate_opensearch_discover_attach_url: z.boolean().default(false),
  ms_power_automate_opensearch_discover_title: z.string().default('Discover in opensearch'),
  ms_power_automate_teams_card_width_full: z.boolean().default(false),
  ms_power_automate_timeout: seconds(10),
});
type PowerAutomateOptions = z.output<typeof schema>;

export function powerAutomatePayload(
  o: PowerAutomateOptions,
  content: Pick<AlertContent, 'title' | 'body' | 'matches'>,
): Doc {
  const first = content.matches[0] ?? {};
  const body: Doc[] = [
    {
      type: 'TextBlock',
      text: o.ms_power_automate_alert_summary ?? content.title,
      weight: 'Bolder',
      wrap: true,
      size: o.ms_power_automate_summary_text_size,
    },
    {
      type: 'TextBlock',
      text: content.body,
      spacing: 'Large',
      wrap: true,
      ...(o.ms_power_automate_body_text_size !== '' ? { size: o.ms_power_automate_body_text_size } : {}),
    },
  ];
  if (o.ms_power_automate_alert_facts.length) {
    body.push({
      type: 'FactSet',
      facts: o.ms_power_automate_alert_facts.map((f) => ({
        title: f.name,
        value: lookupField(first, f.value) ?? f.value,
      })),
    });
  }
  const actions: Doc[] = [];
  for (const app of ['kibana', 'opensearch'] as const) {
    const url = o[`ms_power_automate_${app}_discover_attach_url`]
      ? discoverUrl(content.matches, app)
      : undefined;
    if (url)
      actions.push({
        type: 'Action.OpenUrl',
        title: o[`ms_power_automate_${app}_discover_title`],
        url,
        style: o[`ms_power_automate_${app}_discover_color`],
      });
  }
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body,
          actions,
          ...(o.ms_power_automate_teams_card_width_full ? { msteams: { width: 'Full' } } : {}),
        },
      },
    ],
  };
}

const readReply = statusHints(
  {
    400: 'the workflow refused the card',
    401: 'the workflow URL is not valid (signature): copy it again into ms_power_automate_webhook_url',
    403: 'the workflow URL is not valid (signature): copy it again into ms_power_automate_webhook_url',
    404: 'no such workflow (deleted or turned off): check ms_power_automate_webhook_url',
    429: 'the workflow is throttled',
  },
  'Power Automate failed',
);

export const msPowerAutomateAlerter: AlerterDefinition = {
  name: 'ms_power_automate',
  aliases: ['elastalert.alerters.powerautomate.MsPowerAutomateAlerter'],
  summary: 'Microsoft Power Automate workflows (Teams Adaptive Cards), ElastAlert 2 ms_power_automate_*.',
  optionNames: Object.keys(schema.shape),
  create(options, deps) {
    const o = readOptions(schema, options);
    const urls = o.ms_power_automate_webhook_url.map((u) =>
      checkUrl('ms_power_automate_webhook_url', u, 'https://prod-00.westus.logic.azure.com/workflows/...'),
    );
    const t = transport(o, 'ms_power_automate', deps);
    const spec = { service: 'Power Automate', http: t.http, read: readReply };
    const fromField = o.ms_power_automate_webhook_url_from_field;
    return channelAlerter({
      type: 'ms_power_automate',
      service: 'Power Automate',
      channel: `ms_power_automate:${urlDigest([...urls, fromField ?? ''].join('\n'))}`,
      info: { type: 'ms_power_automate', ms_power_automate_webhook_url: urls },
      secrets: [...urls.flatMap(urlSecrets), ...t.secrets],
      logger: deps.logger,
      send: async (content, signal) => {
        const payload = powerAutomatePayload(o, content);
        // a URL from the event (ms_power_automate_webhook_url_from_field); its parts are secret too
        const value =
          fromField && content.matches[0] ? lookupField(content.matches[0], fromField) : undefined;
        const targets = typeof value === 'string' ? value.split(',') : urls;
        const extra = typeof value === 'string' ? targets.flatMap(urlSecrets) : [];
        for (const u of targets) {
          try {
            checkUrl(fromField ?? 'ms_power_automate_webhook_url', u, 'https://...');
          } catch (err) {
            return failed(
              false,
              `${fromField}: the event's value is not an http(s) URL (${(err as Error).message})`,
            );
          }
        }
        const outcome = await sendEach(targets, (u) => postJson(u, payload, spec, signal));
        return outcome.ok ? outcome : { ...outcome, reason: redactText(outcome.reason, extra) };
      },
    });
  },
};
