/**
 * Webex incoming webhooks (ElastAlert 2's `webex_webhook`): `{"text": body}` or
 * `{"markdown": body}` to https://webexapis.com/v1/webhooks/incoming/<id>. Webex answers 204, or
 * JSON `{"message", "errors", "trackingId"}`; 429 carries Retry-After.
 */
import { z } from 'zod';
import type { AlerterDefinition } from './alerter.ts';
import { channelAlerter } from './channel-alerter.ts';
import { readOptions } from './options.ts';
import { postJson, statusHints } from './send-request.ts';
import { required, seconds, transport } from './transport.ts';
import { displayUrl, lastPathPart, urlDigest, urlSecrets } from './url-secrets.ts';
import { idOrUrl } from './id-or-url.ts';

const schema = z.object({
  webex_webhook_id: required('the incoming webhook id (the last part of its URL)'),
  webex_webhook_msgtype: z.enum(['text', 'markdown']).default('text'),
  webex_webhook_proxy: z.string().optional(),
  webex_webhook_timeout: seconds(10),
});

export const webexWebhookAlerter: AlerterDefinition = {
  name: 'webex_webhook',
  aliases: ['elastalert.alerters.webex_webhook.WebexWebhookAlerter'],
  summary: 'Webex incoming webhooks, text or markdown (ElastAlert 2 webex_webhook_*).',
  optionNames: Object.keys(schema.shape),
  create(options, deps) {
    const o = readOptions(schema, options);
    const target = idOrUrl(
      'webex_webhook_id',
      o.webex_webhook_id,
      'https://webexapis.com/v1/webhooks/incoming/',
    );
    const t = transport(o, 'webex_webhook', deps);
    const spec = {
      service: 'Webex',
      http: { ...t.http, headers: { Accept: 'application/json;charset=utf-8' } },
      read: statusHints({
        400: 'Webex refused the message',
        401: 'the webhook id is not valid: check webex_webhook_id',
        404: 'no such webhook (deleted?): check webex_webhook_id',
      }),
    };
    const key = o.webex_webhook_msgtype === 'markdown' ? 'markdown' : 'text';
    return channelAlerter({
      type: 'webex_webhook',
      service: 'Webex',
      channel: `webex_webhook:${urlDigest(target)}`,
      info: {
        type: 'webex_webhook',
        webex_webhook_msgtype: o.webex_webhook_msgtype,
        webex_webhook_url: displayUrl(target),
      },
      secrets: [o.webex_webhook_id, lastPathPart(target), ...urlSecrets(target), ...t.secrets],
      logger: deps.logger,
      send: (content, signal) => postJson(target, { [key]: content.body }, spec, signal),
    });
  },
};
