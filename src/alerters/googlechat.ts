/**
 * Google Chat incoming webhooks (ElastAlert 2's `googlechat`): the alert body as a text message,
 * or as a card with an optional header and a "VISIT KIBANA" button. Google answers with the
 * created message, or `{"error": {"code", "message", "status"}}` (429 RESOURCE_EXHAUSTED when a
 * space gets more than one message a second).
 */
import { z } from 'zod';
import { stringList } from '../config/fields.ts';
import type { Doc } from '../model/lookup.ts';
import type { AlertContent, AlerterDefinition } from './alerter.ts';
import { channelAlerter } from './channel-alerter.ts';
import { readOptions } from './options.ts';
import { postJson, sendEach, statusHints } from './send-request.ts';
import { checkUrl, seconds, transport } from './transport.ts';
import { urlDigest, urlSecrets } from './url-secrets.ts';

const schema = z.object({
  googlechat_webhook_url: stringList,
  googlechat_format: z.enum(['basic', 'card']).default('basic'),
  googlechat_header_title: z.string().optional(),
  googlechat_header_subtitle: z.string().optional(),
  googlechat_header_image: z.string().optional(),
  googlechat_footer_kibanalink: z.string().optional(),
  googlechat_proxy: z.string().optional(),
  googlechat_timeout: seconds(10),
});
type GoogleChatOptions = z.output<typeof schema>;

export function googleChatPayload(o: GoogleChatOptions, content: Pick<AlertContent, 'body'>): Doc {
  if (o.googlechat_format !== 'card') return { text: content.body };
  const card: Doc = { sections: [{ widgets: [{ textParagraph: { text: content.body } }] }] };
  if (o.googlechat_header_title) {
    card.header = {
      title: o.googlechat_header_title,
      subtitle: o.googlechat_header_subtitle ?? null,
      imageUrl: o.googlechat_header_image ?? null,
    };
  }
  if (o.googlechat_footer_kibanalink) {
    (card.sections as Doc[]).push({
      widgets: [
        {
          buttons: [
            {
              textButton: {
                text: 'VISIT KIBANA',
                onClick: { openLink: { url: o.googlechat_footer_kibanalink } },
              },
            },
          ],
        },
      ],
    });
  }
  return { cards: [card] };
}

const readGoogleReply = statusHints(
  {
    429: 'more than one message a second to this space',
    400: 'Google Chat refused the message',
    401: 'the webhook is not valid or was removed: check googlechat_webhook_url',
    403: 'the webhook is not valid or was removed: check googlechat_webhook_url',
    404: 'the webhook is not valid or was removed: check googlechat_webhook_url',
  },
  'Google Chat failed',
);

export const googleChatAlerter: AlerterDefinition = {
  name: 'googlechat',
  aliases: ['elastalert.alerters.googlechat.GoogleChatAlerter'],
  summary: 'Google Chat incoming webhooks, text or card (ElastAlert 2 googlechat_*).',
  optionNames: Object.keys(schema.shape),
  create(options, deps) {
    const o = readOptions(schema, options);
    const urls = o.googlechat_webhook_url.map((u) =>
      checkUrl(
        'googlechat_webhook_url',
        u,
        'https://chat.googleapis.com/v1/spaces/<space>/messages?key=...&token=...',
      ),
    );
    const t = transport(o, 'googlechat', deps);
    const spec = { service: 'Google Chat', http: t.http, read: readGoogleReply };
    return channelAlerter({
      type: 'googlechat',
      service: 'Google Chat',
      channel: `googlechat:${urlDigest(urls.join('\n'))}`,
      info: { type: 'googlechat', googlechat_webhook_url: urls },
      secrets: [...urls.flatMap(urlSecrets), ...t.secrets],
      logger: deps.logger,
      // one message a second per space
      ratePerMinute: 60,
      send: (content, signal) => {
        const payload = googleChatPayload(o, content);
        return sendEach(urls, (u) => postJson(u, payload, spec, signal));
      },
    });
  },
};
