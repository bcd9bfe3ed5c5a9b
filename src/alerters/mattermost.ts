/**
 * Mattermost incoming webhooks (ElastAlert 2's `mattermost`): one post with one attachment per
 * alert, to each webhook URL and channel override. Mattermost answers "ok", or an HTTP error with
 * `{"id": ..., "message": ...}`.
 */
import { z } from 'zod';
import { FormatError, pythonFormat } from '../format/python-format.ts';
import { stringList } from '../config/fields.ts';
import { type Doc, lookupField, pythonStr } from '../model/lookup.ts';
import type { AlertContent, AlerterDefinition } from './alerter.ts';
import { channelAlerter } from './channel-alerter.ts';
import { discoverAttachments } from './chat-text.ts';
import { readOptions } from './options.ts';
import { postToChannels, statusHints } from './send-request.ts';
import { caCerts, checkUrl, seconds, transport } from './transport.ts';
import { urlDigest, urlSecrets } from './url-secrets.ts';

const field = z.looseObject({
  title: z.string().optional(),
  value: z.string().optional(),
  args: stringList.optional(),
  short: z.boolean().optional(),
});

const schema = z.object({
  mattermost_webhook_url: stringList,
  mattermost_proxy: z.string().optional(),
  mattermost_ignore_ssl_errors: z.boolean().default(false),
  mattermost_ca_certs: caCerts,
  mattermost_timeout: seconds(10),
  mattermost_username_override: z.string().default('elastalert'),
  mattermost_channel_override: stringList.default(['']),
  mattermost_emoji_override: z.string().default(':ghost:'),
  mattermost_icon_url_override: z.string().default(''),
  mattermost_msg_pretext: z.string().default(''),
  mattermost_msg_color: z.string().default('danger'),
  mattermost_msg_fields: z.array(field).default([]),
  mattermost_title: z.string().default(''),
  mattermost_title_link: z.string().default(''),
  mattermost_footer: z.string().default(''),
  mattermost_footer_icon: z.string().default(''),
  mattermost_image_url: z.string().default(''),
  mattermost_thumb_url: z.string().default(''),
  mattermost_author_name: z.string().default(''),
  mattermost_author_link: z.string().default(''),
  mattermost_author_icon: z.string().default(''),
  mattermost_attach_kibana_discover_url: z.boolean().default(false),
  mattermost_kibana_discover_color: z.string().default('#ec4b98'),
  mattermost_kibana_discover_title: z.string().default('Discover in Kibana'),
  mattermost_attach_opensearch_discover_url: z.boolean().default(false),
  mattermost_opensearch_discover_color: z.string().default('#ec4b98'),
  mattermost_opensearch_discover_title: z.string().default('Discover in opensearch'),
});
type MattermostOptions = z.output<typeof schema>;

const OPTIONAL_PARTS = [
  ['title_link', 'mattermost_title_link'],
  ['footer', 'mattermost_footer'],
  ['footer_icon', 'mattermost_footer_icon'],
  ['image_url', 'mattermost_image_url'],
  ['thumb_url', 'mattermost_thumb_url'],
  ['author_name', 'mattermost_author_name'],
  ['author_link', 'mattermost_author_link'],
  ['author_icon', 'mattermost_author_icon'],
] as const;

/** Python's truth value, as `value or missing` tests it. */
const isFalsy = (v: unknown) =>
  v === undefined ||
  v === null ||
  v === false ||
  v === 0 ||
  v === '' ||
  (typeof v === 'object' && Object.keys(v).length === 0);

/** A field with `args`: its value formatted with the first match's values (or joined by lines). */
function fieldValue(f: z.output<typeof field>, match: Doc, missing: string): Doc {
  if (!f.args) return f;
  const values = f.args.map((a) => {
    const v = lookupField(match, a);
    return isFalsy(v) ? missing : v;
  });
  const { args: _args, ...rest } = f;
  try {
    return {
      ...rest,
      value: f.value !== undefined ? pythonFormat(f.value, values) : values.map(pythonStr).join('\n'),
    };
  } catch (err) {
    if (!(err instanceof FormatError)) throw err;
    throw new FormatError(`mattermost_msg_fields "${f.title ?? ''}": ${err.message}`);
  }
}

/** The post for an alert (without `channel`). Throws FormatError for a field that does not format. */
export function mattermostPayload(
  o: MattermostOptions,
  content: Pick<AlertContent, 'title' | 'body' | 'matches' | 'options'>,
): Doc {
  const title = content.title;
  const missing =
    typeof content.options.alert_missing_value === 'string'
      ? content.options.alert_missing_value
      : '<MISSING VALUE>';
  const attachment: Doc = {
    fallback: `${title}: ${o.mattermost_msg_pretext}`,
    color: o.mattermost_msg_color,
    title: o.mattermost_title !== '' ? o.mattermost_title : title,
    pretext: o.mattermost_msg_pretext,
    fields: o.mattermost_msg_fields.map((f) => fieldValue(f, content.matches[0] ?? {}, missing)),
  };
  const textOnly = content.options.alert_text_type === 'alert_text_only';
  if (textOnly) attachment.text = content.body;
  for (const [key, option] of OPTIONAL_PARTS) if (o[option] !== '') attachment[key] = o[option];
  return {
    username: o.mattermost_username_override,
    ...(textOnly ? {} : { text: content.body }),
    attachments: [
      attachment,
      ...discoverAttachments(content.matches, {
        kibana: {
          attach: o.mattermost_attach_kibana_discover_url,
          color: o.mattermost_kibana_discover_color,
          title: o.mattermost_kibana_discover_title,
        },
        opensearch: {
          attach: o.mattermost_attach_opensearch_discover_url,
          color: o.mattermost_opensearch_discover_color,
          title: o.mattermost_opensearch_discover_title,
        },
      }),
    ],
    ...(o.mattermost_icon_url_override !== ''
      ? { icon_url: o.mattermost_icon_url_override }
      : { icon_emoji: o.mattermost_emoji_override }),
  };
}

export const mattermostAlerter: AlerterDefinition = {
  name: 'mattermost',
  aliases: ['elastalert.alerters.mattermost.MattermostAlerter'],
  summary: 'Mattermost incoming webhooks (ElastAlert 2 mattermost_*).',
  optionNames: Object.keys(schema.shape),
  create(options, deps) {
    const o = readOptions(schema, options);
    const urls = o.mattermost_webhook_url.map((u) =>
      checkUrl('mattermost_webhook_url', u, 'https://mattermost.example.com/hooks/xxx'),
    );
    const t = transport(o, 'mattermost', deps);
    const spec = {
      service: 'Mattermost',
      http: t.http,
      read: statusHints({
        400: 'Mattermost refused the post; an "Invalid webhook" message means the webhook was deleted: check mattermost_webhook_url',
        403: 'the webhook may not post to that channel: check mattermost_channel_override',
        404: 'no such webhook: check mattermost_webhook_url',
      }),
    };
    const channels = o.mattermost_channel_override;
    return channelAlerter({
      type: 'mattermost',
      service: 'Mattermost',
      channel: `mattermost:${urlDigest([...urls, ...channels].join('\n'))}`,
      info: {
        type: 'mattermost',
        mattermost_username_override: o.mattermost_username_override,
        mattermost_webhook_url: urls,
      },
      secrets: [...urls.flatMap(urlSecrets), ...t.secrets],
      logger: deps.logger,
      send: (content, signal) => postToChannels(urls, channels, mattermostPayload(o, content), spec, signal),
    });
  },
};
