/**
 * WeCom application access tokens (企业微信 gettoken): one token per application, fetched with
 * GET /cgi-bin/gettoken?corpid=&corpsecret= and kept until shortly before its expires_in. Every
 * alerter of the same application shares it (WeCom limits how often gettoken may be called), and
 * concurrent sends wait for one fetch instead of starting their own.
 */
import { createHash } from 'node:crypto';
import type { SendOutcome } from './alerter.ts';
import { type HttpOptions, httpSend } from './http.ts';
import { type ErrcodeMeaning, readRobotReply, type RobotReplyOptions, robotOutcome } from './robot-reply.ts';

/** Refetch this long before WeCom says the token expires. */
const EARLY_MS = 5 * 60_000;

export interface WecomApp {
  baseUrl: string;
  corpId: string;
  secret: string;
  agentId: string;
}

export type TokenResult = { ok: true; token: string } | Extract<SendOutcome, { ok: false }>;

interface Entry {
  token: string;
  expiresAt: number;
}

const GETTOKEN_CODES: Record<number, ErrcodeMeaning> = {
  [-1]: { retryable: true, explain: 'WeCom is busy; try again later' },
  45009: { retryable: true, retryAfterMs: 60_000, explain: 'gettoken called too often' },
  40013: { retryable: false, explain: 'invalid corpid: check wecom_app_corp_id (My Company → Company ID)' },
  40001: {
    retryable: false,
    explain:
      "invalid secret: wecom_app_secret must be this application's Secret (App Management → the app → Secret)",
  },
  40091: {
    retryable: false,
    explain: 'the secret is invalid or was reset: copy the current Secret into wecom_app_secret',
  },
  60020: {
    retryable: false,
    explain: "this host's IP is not in the application's trusted IP list (企业可信IP)",
  },
};

const GETTOKEN: RobotReplyOptions = {
  service: 'WeCom gettoken',
  codes: GETTOKEN_CODES,
  what: 'the token request',
  noCodeHint: "is wecom_app_base_url WeCom's API (https://qyapi.weixin.qq.com)?",
};

export interface WecomTokenCache {
  /** A valid token for the application, from the cache or a fresh gettoken. */
  get(app: WecomApp, http: HttpOptions, signal: AbortSignal): Promise<TokenResult>;
  /** Forgets `token` (WeCom rejected it), unless a newer one replaced it already. */
  invalidate(app: WecomApp, token: string): void;
}

function keyOf(app: WecomApp): string {
  // one token per application; the secret is part of the key so that a wrong secret in one rule
  // never borrows the token another rule fetched with the right one
  const secret = createHash('sha256').update(app.secret).digest('hex').slice(0, 16);
  return JSON.stringify([app.baseUrl, app.corpId, app.agentId, secret]);
}

export function gettokenUrl(app: WecomApp): string {
  const q = new URLSearchParams({ corpid: app.corpId, corpsecret: app.secret });
  return `${app.baseUrl}/cgi-bin/gettoken?${q.toString()}`;
}

async function fetchToken(
  app: WecomApp,
  http: HttpOptions,
  signal: AbortSignal,
  now: () => number,
): Promise<{ entry?: Entry; failure?: Extract<SendOutcome, { ok: false }> }> {
  const url = gettokenUrl(app);
  const result = await httpSend(
    url,
    undefined,
    { ...http, method: 'GET', headers: { Accept: 'application/json' } },
    signal,
  );
  const reply = readRobotReply(result.body)?.body;
  const token = reply?.access_token;
  const outcome = robotOutcome(url, result, GETTOKEN);
  if (outcome.ok && typeof token === 'string' && token) {
    const seconds = Number(reply?.expires_in);
    const lifetime = Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 7_200_000;
    return { entry: { token, expiresAt: now() + Math.max(lifetime - EARLY_MS, lifetime / 2) } };
  }
  return {
    failure: outcome.ok
      ? { ok: false, retryable: false, reason: 'WeCom gettoken answered errcode 0 without an access_token' }
      : outcome,
  };
}

/** A token cache; `now` is injectable so tests can step past expiry. */
export function createWecomTokenCache(now: () => number = Date.now): WecomTokenCache {
  const tokens = new Map<string, Entry>();
  const inFlight = new Map<string, Promise<Awaited<ReturnType<typeof fetchToken>>>>();
  return {
    async get(app, http, signal) {
      const key = keyOf(app);
      const cached = tokens.get(key);
      if (cached && now() < cached.expiresAt) return { ok: true, token: cached.token };
      let pending = inFlight.get(key);
      if (!pending) {
        pending = fetchToken(app, http, signal, now).finally(() => inFlight.delete(key));
        inFlight.set(key, pending);
      }
      const { entry, failure } = await pending;
      if (entry) {
        tokens.set(key, entry);
        return { ok: true, token: entry.token };
      }
      return failure ?? { ok: false, retryable: true, reason: 'WeCom gettoken returned no token' };
    },
    invalidate(app, token) {
      const key = keyOf(app);
      if (tokens.get(key)?.token === token) tokens.delete(key);
    },
  };
}
