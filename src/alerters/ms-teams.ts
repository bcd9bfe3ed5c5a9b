/**
 * Microsoft Teams incoming webhooks (Office 365 connectors) with a MessageCard: the `ms_teams`
 * alerter ElastAlert 2 shipped until 2.30 and many rule files still name. Teams answers HTTP 200
 * with the body "1" when the card was posted; when Teams itself failed, the webhook still answers
 * 200, with the text "Webhook message delivery failed with error: Microsoft Teams endpoint
 * returned HTTP error 429 ...", which is read here like the status it names.
 */
import { z } from 'zod';
import { stringList } from '../config/fields.ts';
import { type Doc, lookupField } from '../model/lookup.ts';
import type { AlertContent, AlerterDefinition, SendOutcome } from './alerter.ts';
import { channelAlerter } from './channel-alerter.ts';
import { discoverUrl } from './chat-text.ts';
import { readOptions } from './options.ts';
import {
  detail,
  failed,
  firstOf,
  isRetryableStatus,
  isSuccess,
  postJson,
  type Reply,
  sendEach,
  statusHints,
} from './send-request.ts';
import { caCerts, checkUrl, seconds, transport } from './transport.ts';
import { urlDigest, urlSecrets } from './url-secrets.ts';

const schema = z.object({
  ms_teams_webhook_url: stringList,
  ms_teams_proxy: z.string().optional(),
  ms_teams_alert_summary: z.string().optional(),
  ms_teams_alert_fixed_width: z.boolean().default(false),
  ms_teams_theme_color: z.string().default(''),
  ms_teams_ca_certs: caCerts,
  ms_teams_ignore_ssl_errors: z.boolean().default(false),
  ms_teams_alert_facts: z.array(z.looseObject({ name: z.string(), value: z.string() })).default([]),
  ms_teams_attach_kibana_discover_url: z.boolean().default(false),
  ms_teams_kibana_discover_title: z.string().default('Discover in Kibana'),
  ms_teams_attach_opensearch_discover_url: z.boolean().default(false),
  ms_teams_opensearch_discover_title: z.string().default('Discover in opensearch'),
  ms_teams_timeout: seconds(10),
});
type MsTeamsOptions = z.output<typeof schema>;

/** ms_teams_alert_fixed_width: every line in its own code span, backticks turned into quotes. */
export function fixedWidth(body: string): string {
  const lines = body.replaceAll('`', "'").split('\n');
  return `\`\`\`${lines.join('```\n\n```')}\`\`\``.replaceAll('\n``````', '');
}

export function msTeamsPayload(
  o: MsTeamsOptions,
  content: Pick<AlertContent, 'title' | 'body' | 'matches'>,
): Doc {
  const first = content.matches[0] ?? {};
  const section: Doc = { text: o.ms_teams_alert_fixed_width ? fixedWidth(content.body) : content.body };
  if (o.ms_teams_alert_facts.length)
    section.facts = o.ms_teams_alert_facts.map((f) => ({
      ...f,
      value: lookupField(first, f.value) ?? f.value,
    }));
  const payload: Doc = {
    '@type': 'MessageCard',
    '@context': 'http://schema.org/extensions',
    summary: o.ms_teams_alert_summary ?? content.title,
    title: content.title,
    sections: [section],
  };
  if (o.ms_teams_theme_color !== '') payload.themeColor = o.ms_teams_theme_color;
  // as in ElastAlert 2, an OpenSearch link replaces a Kibana link
  for (const app of ['kibana', 'opensearch'] as const) {
    const url = o[`ms_teams_attach_${app}_discover_url`] ? discoverUrl(content.matches, app) : undefined;
    if (url)
      payload.potentialAction = [
        {
          '@type': 'OpenUri',
          name: o[`ms_teams_${app}_discover_title`],
          targets: [{ os: 'default', uri: url }],
        },
      ];
  }
  return payload;
}

/** A 200 reply is "1" when posted; otherwise it is Teams' failure text with the real status inside. */
function readTeamsReply(r: Reply): SendOutcome | undefined {
  if (!isSuccess(r.status)) return undefined;
  const text = r.body.trim();
  if (text === '' || text === '1') return { ok: true };
  const inner = /HTTP error (\d{3})/.exec(text);
  const status = inner ? Number(inner[1]) : undefined;
  if (status === undefined && !/fail|error/i.test(text)) return { ok: true };
  const hint =
    status === 429
      ? 'Teams is throttling this webhook'
      : status === 413
        ? 'the card is too large (Teams takes about 28 KB)'
        : status === 400
          ? 'Teams refused the card, or the channel or webhook was removed: check ms_teams_webhook_url'
          : 'Teams could not deliver the card';
  return failed(status !== undefined && isRetryableStatus(status), `${detail(text)}: ${hint}`);
}

export const msTeamsAlerter: AlerterDefinition = {
  name: 'ms_teams',
  summary:
    'Microsoft Teams incoming webhooks (MessageCard), the ms_teams alerter ElastAlert 2 removed in 2.31.',
  optionNames: Object.keys(schema.shape),
  create(options, deps) {
    const o = readOptions(schema, options);
    const urls = o.ms_teams_webhook_url.map((u) =>
      checkUrl('ms_teams_webhook_url', u, 'https://example.webhook.office.com/webhookb2/...'),
    );
    const t = transport(o, 'ms_teams', deps);
    const spec = {
      service: 'MS Teams',
      http: t.http,
      read: firstOf(
        readTeamsReply,
        statusHints({
          400: 'Teams refused the card',
          404: 'no such webhook (removed?): check ms_teams_webhook_url',
          410: 'the webhook was retired: create a Workflows webhook (ms_power_automate)',
        }),
      ),
    };
    return channelAlerter({
      type: 'ms_teams',
      service: 'MS Teams',
      channel: `ms_teams:${urlDigest(urls.join('\n'))}`,
      info: { type: 'ms_teams', ms_teams_webhook_url: urls },
      secrets: [...urls.flatMap(urlSecrets), ...t.secrets],
      logger: deps.logger,
      send: (content, signal) => {
        const payload = msTeamsPayload(o, content);
        return sendEach(urls, (u) => postJson(u, payload, spec, signal));
      },
    });
  },
};
