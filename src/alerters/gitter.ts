/**
 * Gitter activity webhooks (ElastAlert 2's `gitter`): `{"message": body, "level": "error"|"info"}`
 * to https://webhooks.gitter.im/e/<token>.
 */
import { z } from 'zod';
import type { AlerterDefinition } from './alerter.ts';
import { channelAlerter } from './channel-alerter.ts';
import { readOptions } from './options.ts';
import { postJson, statusHints } from './send-request.ts';
import { checkUrl, required, seconds, transport } from './transport.ts';
import { displayUrl, lastPathPart, urlDigest, urlSecrets } from './url-secrets.ts';

const schema = z.object({
  gitter_webhook_url: required('the custom integration URL (https://webhooks.gitter.im/e/...)'),
  gitter_msg_level: z.enum(['info', 'error']).default('error'),
  gitter_proxy: z.string().optional(),
  gitter_timeout: seconds(10),
});

export const gitterAlerter: AlerterDefinition = {
  name: 'gitter',
  aliases: ['elastalert.alerters.gitter.GitterAlerter'],
  summary: 'Gitter activity webhooks (ElastAlert 2 gitter_*).',
  optionNames: Object.keys(schema.shape),
  create(options, deps) {
    const o = readOptions(schema, options);
    const target = checkUrl(
      'gitter_webhook_url',
      o.gitter_webhook_url,
      'https://webhooks.gitter.im/e/<token>',
    );
    const t = transport(o, 'gitter', deps);
    const spec = {
      service: 'Gitter',
      http: t.http,
      read: statusHints({
        401: 'the integration token is not valid: check gitter_webhook_url',
        404: 'no such integration: check gitter_webhook_url',
      }),
    };
    return channelAlerter({
      type: 'gitter',
      service: 'Gitter',
      channel: `gitter:${urlDigest(target)}`,
      info: { type: 'gitter', gitter_webhook_url: displayUrl(target) },
      // the token is the path's last part, whatever it looks like
      secrets: [...urlSecrets(target), lastPathPart(target), ...t.secrets],
      logger: deps.logger,
      send: (content, signal) =>
        postJson(target, { message: content.body, level: o.gitter_msg_level }, spec, signal),
    });
  },
};
