/**
 * WeCom application messages (企业微信应用消息): the alert goes to members, departments or tags
 * through a self-built application (corp id, secret, agent id), as the community plugin
 * elastalert_modules.wechat_qiye_alert.WeChatAlerter sends it. The access token is shared per
 * application and refreshed when WeCom rejects it (40014/42001/40001): the message is then sent
 * again, once.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Doc } from '../model/lookup.ts';
import { redactText } from '../util/redact.ts';
import type { AlertContent, AlerterDefinition } from './alerter.ts';
import { OptionProblem } from './alerter.ts';
import { channelAlerter } from './channel-alerter.ts';
import { type HttpResult, httpSend } from './http.ts';
import { readOptions } from './options.ts';
import { type ErrcodeMeaning, readRobotReply, robotReply } from './robot-reply.ts';
import { readReply } from './send-request.ts';
import { checkUrl, seconds, transport } from './transport.ts';
import { truncateUtf8 } from './text-limits.ts';
import { createWecomTokenCache, type WecomApp, type WecomTokenCache } from './wecom-token.ts';

const API = 'https://qyapi.weixin.qq.com';

/** Text and markdown contents are limited to 2048 UTF-8 bytes. */
export const WECOM_APP_MAX_BYTES = 2048;

/** Codes meaning the access token is not (or no longer) valid: fetch a new one and send again. */
const TOKEN_REJECTED = new Set([40014, 42001, 40001]);

/** One id or a list; "a|b" strings are kept as WeCom reads them. */
const targets = z
  .union([z.string(), z.number(), z.array(z.union([z.string(), z.number()]))])
  .transform((v) => (Array.isArray(v) ? v.map(String).join('|') : String(v)));

const AGENT_ID = "must be the application's AgentId, a number such as 1000002";

const schema = z.object({
  wecom_app_corp_id: z.string().min(1, { error: 'must not be empty' }).optional(),
  wecom_app_secret: z.string().min(1, { error: 'must not be empty' }).optional(),
  wecom_app_agent_id: z
    .union([z.number().int({ error: AGENT_ID }), z.string().regex(/^\d+$/, { error: AGENT_ID })], {
      error: AGENT_ID,
    })
    .optional(),
  wecom_app_to_user: targets.optional(),
  wecom_app_to_party: targets.optional(),
  wecom_app_to_tag: targets.optional(),
  wecom_app_msgtype: z.enum(['text', 'markdown']).default('text'),
  wecom_app_base_url: z.string().default(API),
  wecom_app_proxy: z.string().optional(),
  wecom_app_timeout: seconds(10),
});
type WecomAppOptions = z.output<typeof schema>;

const SEND_CODES: Record<number, ErrcodeMeaning> = {
  45009: {
    retryable: true,
    retryAfterMs: 60_000,
    explain: 'api freq out of limit: the application sends too often',
  },
  45033: { retryable: true, retryAfterMs: 10_000, explain: 'too many concurrent calls' },
  [-1]: { retryable: true, explain: 'WeCom is busy; try again later' },
  40014: {
    retryable: false,
    explain: 'the access token was rejected again after a refresh: check wecom_app_secret',
  },
  42001: { retryable: true, explain: 'the access token expired again right after a refresh' },
  40001: {
    retryable: false,
    explain: 'the access token was rejected again after a refresh: check wecom_app_secret',
  },
  40056: {
    retryable: false,
    explain: "invalid agentid: wecom_app_agent_id must be the application's AgentId",
  },
  82001: {
    retryable: false,
    explain: 'no recipient: set wecom_app_to_user, wecom_app_to_party or wecom_app_to_tag',
  },
  81013: {
    retryable: false,
    explain:
      'every recipient is invalid or outside the visible range of the application: check wecom_app_to_user / _to_party / _to_tag',
  },
  301002: {
    retryable: false,
    explain:
      'the secret belongs to another application: wecom_app_secret must be the Secret of wecom_app_agent_id',
  },
  48002: { retryable: false, explain: 'the application may not send messages (API forbidden)' },
  60020: {
    retryable: false,
    explain: "this host's IP is not in the application's trusted IP list (企业可信IP)",
  },
  44004: { retryable: false, explain: 'the message is empty' },
};

function required<T>(value: T | undefined, option: string, what: string): T {
  if (value === undefined) throw new OptionProblem(option, `is required: ${what}`);
  return value;
}

/** The message/send request body for an alert. */
export function wecomAppPayload(
  o: WecomAppOptions,
  agentId: string,
  content: Pick<AlertContent, 'body'>,
): Doc {
  const text = truncateUtf8(content.body, WECOM_APP_MAX_BYTES);
  return {
    touser: o.wecom_app_to_user ?? '',
    toparty: o.wecom_app_to_party ?? '',
    totag: o.wecom_app_to_tag ?? '',
    msgtype: o.wecom_app_msgtype,
    agentid: Number(agentId),
    [o.wecom_app_msgtype]: { content: text },
    safe: 0,
  };
}

/** Recipients WeCom skipped although the message went out. */
function skippedRecipients(result: HttpResult): string[] {
  const reply = readRobotReply(result.body);
  if (!reply || reply.code !== 0) return [];
  return ['invaliduser', 'invalidparty', 'invalidtag', 'unlicenseduser']
    .filter((k) => typeof reply.body[k] === 'string' && reply.body[k] !== '')
    .map((k) => `${k}: ${String(reply.body[k])}`);
}

export function createWecomAppDefinition(
  tokens: WecomTokenCache = createWecomTokenCache(),
): AlerterDefinition {
  return {
    name: 'wecom_app',
    summary: 'WeCom application messages to members, departments or tags, with a shared access token.',
    optionNames: Object.keys(schema.shape),
    create(options, deps) {
      const o = readOptions(schema, options);
      const app: WecomApp = {
        baseUrl: checkUrl('wecom_app_base_url', o.wecom_app_base_url.replace(/\/+$/, ''), API),
        corpId: required(
          o.wecom_app_corp_id,
          'wecom_app_corp_id',
          'the company id (My Company → Company ID)',
        ),
        secret: required(o.wecom_app_secret, 'wecom_app_secret', "the application's Secret"),
        agentId: String(required(o.wecom_app_agent_id, 'wecom_app_agent_id', "the application's AgentId")),
      };
      if (!o.wecom_app_to_user && !o.wecom_app_to_party && !o.wecom_app_to_tag) {
        deps.logger.warn(
          'wecom_app has no recipient (wecom_app_to_user, wecom_app_to_party, wecom_app_to_tag): WeCom will refuse every message',
        );
      }
      const t = transport(o, 'wecom_app', deps);
      const http = {
        ...t.http,
        headers: { 'Content-Type': 'application/json', Accept: 'application/json;charset=utf-8' },
      };
      const read = robotReply({ service: 'WeCom', codes: SEND_CODES });
      const id = createHash('sha1').update(`${app.baseUrl}|${app.corpId}|${app.agentId}`).digest('hex');
      const channel = `wecom_app:${id.slice(0, 12)}`;
      const post = async (token: string, payload: Doc, signal: AbortSignal) => {
        const url = `${app.baseUrl}/cgi-bin/message/send?access_token=${encodeURIComponent(token)}`;
        const result = await httpSend(url, JSON.stringify(payload), http, signal);
        return { result, outcome: readReply(url, result, read) };
      };
      /** Sends with the shared token; when WeCom rejects it, once more with a fresh one. */
      const deliver = async (content: AlertContent, signal: AbortSignal, seen: string[]) => {
        const payload = wecomAppPayload(o, app.agentId, content);
        let token = await tokens.get(app, http, signal);
        if (!token.ok) return token;
        seen.push(token.token);
        let sent = await post(token.token, payload, signal);
        const code = readRobotReply(sent.result.body)?.code;
        if (sent.result.status === 200 && code !== undefined && TOKEN_REJECTED.has(code)) {
          deps.logger.info({ channel, errcode: code }, 'WeCom rejected the access token; fetching a new one');
          tokens.invalidate(app, token.token);
          token = await tokens.get(app, http, signal);
          if (!token.ok) return token;
          seen.push(token.token);
          sent = await post(token.token, payload, signal);
        }
        const skipped = sent.outcome.ok ? skippedRecipients(sent.result) : [];
        if (skipped.length) deps.logger.warn({ channel, skipped }, 'WeCom skipped some recipients');
        return sent.outcome;
      };
      return channelAlerter({
        type: 'wecom_app',
        service: 'WeCom application',
        channel,
        info: {
          type: 'wecom_app',
          wecom_app_corp_id: app.corpId,
          wecom_app_agent_id: app.agentId,
          ...(o.wecom_app_to_user ? { wecom_app_to_user: o.wecom_app_to_user } : {}),
          ...(o.wecom_app_to_party ? { wecom_app_to_party: o.wecom_app_to_party } : {}),
          ...(o.wecom_app_to_tag ? { wecom_app_to_tag: o.wecom_app_to_tag } : {}),
        },
        secrets: [app.secret, ...t.secrets],
        logger: deps.logger,
        send: async (content, signal) => {
          // the tokens travel in URLs; a reply that echoes one must not show it
          const seen: string[] = [];
          const outcome = await deliver(content, signal, seen);
          return outcome.ok ? outcome : { ...outcome, reason: redactText(outcome.reason, seen) };
        },
      });
    },
  };
}

export const wecomAppAlerter: AlerterDefinition = createWecomAppDefinition();
