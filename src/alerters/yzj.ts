/**
 * YZJ / Yunzhijia (云之家) group robots (ElastAlert 2's `yzj`): `{"content": body}` to
 * https://www.yunzhijia.com/gateway/robot/webhook/send?yzjtype=<type>&yzjtoken=<token>.
 * `yzj_custom_loc` replaces the host (and port) for a private deployment. A reply with
 * `"success": false` is a failure.
 */
import { z } from 'zod';
import type { AlerterDefinition, SendOutcome } from './alerter.ts';
import { OptionProblem } from './alerter.ts';
import { channelAlerter } from './channel-alerter.ts';
import { readOptions } from './options.ts';
import { detail, failed, isRetryableStatus, postJson, type Reply, replyObject } from './send-request.ts';
import { required, seconds, transport } from './transport.ts';
import { displayUrl, urlDigest } from './url-secrets.ts';

const schema = z.object({
  yzj_token: required("the robot's yzjtoken"),
  yzj_type: z.number().int().default(0),
  yzj_webhook_url: z.string().default('https://www.yunzhijia.com/gateway/robot/webhook/send'),
  yzj_custom_loc: z.string().optional(),
  yzj_proxy: z.string().optional(),
  yzj_timeout: seconds(10),
});
type YzjOptions = z.output<typeof schema>;

export function yzjUrl(o: YzjOptions): string {
  let u: URL;
  try {
    u = new URL(o.yzj_webhook_url);
  } catch {
    throw new OptionProblem(
      'yzj_webhook_url',
      'must be a URL such as https://www.yunzhijia.com/gateway/robot/webhook/send',
    );
  }
  if (o.yzj_custom_loc) {
    try {
      u.host = o.yzj_custom_loc;
    } catch {
      throw new OptionProblem('yzj_custom_loc', 'must be a host and port such as yzj.example.com:443');
    }
  }
  u.searchParams.set('yzjtype', String(o.yzj_type));
  u.searchParams.set('yzjtoken', o.yzj_token);
  return u.toString();
}

function readYzjReply(r: Reply): SendOutcome | undefined {
  const j = replyObject(r);
  if (j?.success !== false) return undefined;
  const code = j.errorCode ?? j.errcode;
  return failed(
    isRetryableStatus(r.status),
    `success false${code !== undefined ? `, errorCode ${String(code)}` : ''} (${detail(j.error ?? j.errmsg ?? r.body)}): check yzj_token and yzj_type`,
  );
}

export const yzjAlerter: AlerterDefinition = {
  name: 'yzj',
  aliases: ['elastalert.alerters.yzj.YzjAlerter'],
  summary: 'YZJ (Yunzhijia) group robots (ElastAlert 2 yzj_*).',
  optionNames: Object.keys(schema.shape),
  create(options, deps) {
    const o = readOptions(schema, options);
    const target = yzjUrl(o);
    const t = transport(o, 'yzj', deps);
    const spec = {
      service: 'YZJ',
      http: { ...t.http, headers: { Accept: 'application/json;charset=utf-8' } },
      read: readYzjReply,
    };
    return channelAlerter({
      type: 'yzj',
      service: 'YZJ',
      channel: `yzj:${urlDigest(target)}`,
      info: { type: 'yzj', yzj_webhook_url: displayUrl(target) },
      secrets: [o.yzj_token, ...t.secrets],
      logger: deps.logger,
      send: (content, signal) => postJson(target, { content: content.body }, spec, signal),
    });
  },
};
