/**
 * Matrix Hookshot generic webhooks (ElastAlert 2's `matrixhookshot`): `{"text", "html"?,
 * "username"?}` to each webhook URL. Hookshot answers `{"ok": true}`, or `{"ok": false, "error"}`.
 */
import { z } from 'zod';
import { stringList } from '../config/fields.ts';
import type { Doc } from '../model/lookup.ts';
import type { AlertContent, AlerterDefinition, SendOutcome } from './alerter.ts';
import { channelAlerter } from './channel-alerter.ts';
import { readOptions } from './options.ts';
import {
  detail,
  failed,
  isRetryableStatus,
  postJson,
  type Reply,
  replyObject,
  sendEach,
} from './send-request.ts';
import { caCerts, checkUrl, seconds, transport } from './transport.ts';
import { lastPathPart, urlDigest, urlSecrets } from './url-secrets.ts';

const schema = z.object({
  matrixhookshot_webhook_url: stringList,
  matrixhookshot_proxy: z.string().optional(),
  matrixhookshot_username: z.string().default(''),
  matrixhookshot_text: z.string().default(''),
  matrixhookshot_html: z.string().default(''),
  matrixhookshot_ignore_ssl_errors: z.boolean().default(false),
  matrixhookshot_timeout: seconds(10),
  matrixhookshot_ca_certs: caCerts,
});
type HookshotOptions = z.output<typeof schema>;

export function hookshotPayload(o: HookshotOptions, content: Pick<AlertContent, 'body'>): Doc {
  return {
    text: o.matrixhookshot_text || content.body,
    ...(o.matrixhookshot_username ? { username: o.matrixhookshot_username } : {}),
    ...(o.matrixhookshot_html ? { html: o.matrixhookshot_html } : {}),
  };
}

function readHookshotReply(r: Reply): SendOutcome | undefined {
  const j = replyObject(r);
  if (j?.ok !== false) return undefined;
  const hint = r.status === 404 ? ': no such webhook, check matrixhookshot_webhook_url' : '';
  return failed(
    isRetryableStatus(r.status),
    `HTTP ${r.status}, ok false (${detail(j.error ?? r.body)})${hint}`,
  );
}

export const matrixHookshotAlerter: AlerterDefinition = {
  name: 'matrixhookshot',
  aliases: ['elastalert.alerters.matrixhookshot.MatrixHookshotAlerter'],
  summary: 'Matrix Hookshot webhooks (ElastAlert 2 matrixhookshot_*).',
  optionNames: Object.keys(schema.shape),
  create(options, deps) {
    const o = readOptions(schema, options);
    const urls = o.matrixhookshot_webhook_url.map((u) =>
      checkUrl('matrixhookshot_webhook_url', u, 'https://hookshot.example.com/webhook/<id>'),
    );
    const t = transport(o, 'matrixhookshot', deps);
    const spec = { service: 'Matrix Hookshot', http: t.http, read: readHookshotReply };
    return channelAlerter({
      type: 'matrixhookshot',
      service: 'Matrix Hookshot',
      channel: `matrixhookshot:${urlDigest(urls.join('\n'))}`,
      info: { type: 'matrixhookshot' },
      secrets: [...urls.flatMap(urlSecrets), ...urls.map(lastPathPart), ...t.secrets],
      logger: deps.logger,
      send: (content, signal) => {
        const payload = hookshotPayload(o, content);
        return sendEach(urls, (u) => postJson(u, payload, spec, signal));
      },
    });
  },
};
