/**
 * A Feishu custom-bot webhook on 127.0.0.1 that checks what Feishu documents: POST
 * /open-apis/bot/v2/hook/<id> with a JSON body of at most 20 KB, a known msg_type with its
 * content (or card), and, when the bot has a signing secret, a `timestamp` (seconds, within an
 * hour of now) and `sign` = base64(HMAC-SHA256(key "<timestamp>\n<secret>", empty message)).
 * Replies are {"code": 0, "msg": "success", "data": {}} or the error codes Feishu uses
 * (19001 unknown hook, 19021 bad signature, 9499 bad request).
 */
import { createHmac } from 'node:crypto';
import { serveHttp } from '../../../integration/support/http-receiver.ts';

export interface FeishuBotRequest {
  path: string;
  contentType: string | undefined;
  bytes: number;
  json: Record<string, unknown> | undefined;
  /** What the server concluded (0 = accepted). */
  code: number;
}

export interface FeishuBotServer {
  url: string;
  hookUrl: string;
  requests: FeishuBotRequest[];
  /** Answers for the next requests, in order, instead of checking them. */
  script(...replies: { status?: number; body?: object; delayMs?: number }[]): void;
  close(): Promise<void>;
}

const expectedSign = (secret: string, ts: string) =>
  createHmac('sha256', `${ts}\n${secret}`).update('').digest('base64');

export async function startFeishuBotServer(bot: { id: string; secret?: string }): Promise<FeishuBotServer> {
  const requests: FeishuBotRequest[] = [];
  const queue: { status?: number; body?: object; delayMs?: number }[] = [];

  const check = (path: string, contentType: string | undefined, bytes: number, json: unknown): number => {
    if (path !== `/open-apis/bot/v2/hook/${bot.id}`) return 19001;
    if (!contentType?.startsWith('application/json') || !json || typeof json !== 'object') return 9499;
    if (bytes > 20 * 1024) return 9499;
    const m = json as Record<string, unknown>;
    if (bot.secret) {
      const ts = m.timestamp;
      if (typeof ts !== 'string' || !/^\d+$/.test(ts)) return 19021;
      if (Math.abs(Date.now() / 1000 - Number(ts)) > 3600) return 19021;
      if (m.sign !== expectedSign(bot.secret, ts)) return 19021;
    }
    const content = m.content as Record<string, unknown> | undefined;
    switch (m.msg_type) {
      case 'text':
        return typeof content?.text === 'string' && content.text !== '' ? 0 : 9499;
      case 'post':
        return content?.post && typeof content.post === 'object' ? 0 : 9499;
      case 'interactive':
        return m.card && typeof m.card === 'object' ? 0 : 9499;
      default:
        return 9499;
    }
  };

  const server = await serveHttp((request, answer) => {
    const scripted = queue.shift();
    const contentType = request.headers['content-type'];
    const json =
      request.json && typeof request.json === 'object'
        ? (request.json as Record<string, unknown>)
        : undefined;
    answer(() => {
      const code = scripted ? -2 : check(request.pathname, contentType, request.raw.length, json);
      requests.push({ path: request.pathname, contentType, bytes: request.raw.length, json, code });
      return {
        status: scripted?.status ?? 200,
        body:
          scripted?.body ??
          (code === 0
            ? { code: 0, msg: 'success', data: {} }
            : { code, msg: `rejected (${code})`, data: {} }),
      };
    }, scripted?.delayMs);
  });
  const url = server.url;
  return {
    url,
    hookUrl: `${url}/open-apis/bot/v2/hook/${bot.id}`,
    requests,
    script: (...replies) => queue.push(...replies),
    close: () => server.close(),
  };
}
