/**
 * A WeCom API server on 127.0.0.1 that checks what WeCom documents for application messages:
 * GET /cgi-bin/gettoken?corpid=&corpsecret= issues access tokens (errcode 40013 for an unknown corp
 * id, 40001 for a wrong secret), POST /cgi-bin/message/send?access_token= accepts only a token it
 * issued and has not expired (40014 unknown, 42001 expired) and a body with agentid (a number),
 * msgtype, the content of that type and at least one of touser/toparty/totag.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { serveHttp } from '../../../integration/support/http-receiver.ts';

export interface WecomRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  json: unknown;
}

export interface WecomReply {
  body?: object;
  status?: number;
  delayMs?: number;
}

export interface WecomAppServer {
  url: string;
  requests: WecomRequest[];
  /** Tokens issued so far, in order. */
  issued: string[];
  /** Makes every token issued so far expired (the next send gets 42001). */
  expireTokens(): void;
  /** Answers for the next message/send requests, in order, instead of checking them. */
  scriptSend(...replies: WecomReply[]): void;
  /** Delays the next request of any kind. */
  delayNext(ms: number): void;
  close(): Promise<void>;
}

export async function startWecomAppServer(app: {
  corpId: string;
  secret: string;
  agentId: number;
  expiresIn?: number;
}): Promise<WecomAppServer> {
  const requests: WecomRequest[] = [];
  const issued: string[] = [];
  const valid = new Set<string>();
  const expired = new Set<string>();
  const sendScript: WecomReply[] = [];
  let delay = 0;

  const check = (req: WecomRequest): WecomReply => {
    if (req.method === 'GET' && req.path === '/cgi-bin/gettoken') {
      if (req.query.corpid !== app.corpId) return { body: { errcode: 40013, errmsg: 'invalid corpid' } };
      if (req.query.corpsecret !== app.secret)
        return { body: { errcode: 40001, errmsg: 'invalid credential' } };
      const token = `tok-${issued.length + 1}-${'x'.repeat(24)}`;
      issued.push(token);
      valid.add(token);
      return { body: { errcode: 0, errmsg: 'ok', access_token: token, expires_in: app.expiresIn ?? 7200 } };
    }
    if (req.method === 'POST' && req.path === '/cgi-bin/message/send') {
      const scripted = sendScript.shift();
      if (scripted) return scripted;
      const token = req.query.access_token ?? '';
      if (expired.has(token)) return { body: { errcode: 42001, errmsg: 'access_token expired' } };
      if (!valid.has(token)) return { body: { errcode: 40014, errmsg: 'invalid access_token' } };
      if (!String(req.headers['content-type']).startsWith('application/json'))
        return { body: { errcode: 40008, errmsg: 'invalid message type' } };
      const m = req.json as Record<string, unknown> | undefined;
      if (!m || typeof m.agentid !== 'number') return { body: { errcode: 40056, errmsg: 'invalid agentid' } };
      if (m.agentid !== app.agentId)
        return { body: { errcode: 301002, errmsg: 'not allow operate another agent' } };
      if (!m.touser && !m.toparty && !m.totag)
        return { body: { errcode: 82001, errmsg: 'all touser toparty totag empty' } };
      const type = m.msgtype;
      if (type !== 'text' && type !== 'markdown')
        return { body: { errcode: 40008, errmsg: 'invalid message type' } };
      const content = (m[type] as { content?: unknown } | undefined)?.content;
      if (typeof content !== 'string' || content === '')
        return { body: { errcode: 44004, errmsg: 'empty content' } };
      if (Buffer.byteLength(content) > 2048)
        return { body: { errcode: 45002, errmsg: 'content size out of limit' } };
      return { body: { errcode: 0, errmsg: 'ok', msgid: `msg-${requests.length}` } };
    }
    return { status: 404, body: { errcode: 404, errmsg: 'not found' } };
  };

  const server = await serveHttp((r, answer) => {
    const request: WecomRequest = {
      method: r.method,
      path: r.pathname,
      query: Object.fromEntries(r.query),
      headers: r.headers,
      json: r.json,
    };
    const wait = delay;
    delay = 0;
    answer(() => {
      requests.push(request);
      const reply = check(request);
      return { status: reply.status ?? 200, body: reply.body ?? {} };
    }, wait);
  });
  return {
    url: server.url,
    requests,
    issued,
    expireTokens: () => {
      for (const t of valid) expired.add(t);
    },
    scriptSend: (...replies) => sendScript.push(...replies),
    delayNext: (ms) => {
      delay = ms;
    },
    close: () => server.close(),
  };
}
