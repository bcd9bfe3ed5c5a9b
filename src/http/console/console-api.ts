/**
 * The console's JSON API under /api/ (docs/api.md): request parsing, access control and error
 * answers, over a ConsoleSource. Reads need read access (anyone, unless http_auth closes it);
 * silencing needs write access and passes the CSRF checks of request-guard.ts; explain is a
 * read that costs Elasticsearch queries, so it runs one at a time.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { redactDeep } from '../../util/redact.ts';
import { type AlertFilter, ConsoleRequestError, type ConsoleSource } from './console-source.ts';
import type { Authenticator, Principal } from './http-auth.ts';
import { csrfProblem, isSafeMethod } from './request-guard.ts';
import type { AlertState, ApiError, SessionInfo, SilenceRequest } from './web/api-types.ts';

/** Longest window an explanation may cover. */
export const EXPLAIN_MAX_WINDOW_MS = 31 * 86_400_000;
/** How long an explanation may take before it is stopped. */
export const EXPLAIN_TIMEOUT_MS = 120_000;
const MAX_BODY_BYTES = 16 * 1024;
const ALERT_STATES: readonly AlertState[] = ['delivered', 'pending', 'failed'];

export interface ConsoleApiOptions {
  source: ConsoleSource;
  auth: Authenticator;
  /** Current time (epoch ms), for default windows. */
  now(): number;
}

export type SendJson = (status: number, value: unknown, headers?: Record<string, string>) => void;

class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;
  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

const unauthorized = (message: string) =>
  // Bearer, never Basic: a Basic challenge would make the browser remember credentials and send
  // them with requests other sites trigger.
  new HttpError(401, 'UNAUTHORIZED', message, { 'www-authenticate': 'Bearer realm="esalert"' });

const badRequest = (message: string) => new HttpError(400, 'BAD_REQUEST', message);

/** An ISO 8601 time or epoch milliseconds. */
export function parseTime(value: string | null, name: string, fallback: number): number {
  if (value === null || value === '') return fallback;
  const n = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(n))
    throw badRequest(
      `${name}=${value} is not a time: use ISO 8601 (2024-05-14T03:00:00Z) or epoch milliseconds`,
    );
  return n;
}

function intParam(value: string | null, name: string, fallback: number, max: number): number {
  if (value === null || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw badRequest(`${name}=${value} must be a whole number of 0 or more`);
  return Math.min(n, max);
}

function window(q: URLSearchParams, now: number, defaultMs: number): { from: number; to: number } {
  const to = parseTime(q.get('to'), 'to', now);
  const from = parseTime(q.get('from'), 'from', to - defaultMs);
  if (from >= to) throw badRequest('from must be before to');
  return { from, to };
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new HttpError(413, 'TOO_LARGE', `the body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw badRequest('the body is not valid JSON');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw badRequest('the body must be a JSON object');
  return value as Record<string, unknown>;
}

const str = (body: Record<string, unknown>, key: string, required: boolean): string | undefined => {
  const v = body[key];
  if (v === undefined || v === null || v === '') {
    if (required) throw badRequest(`${key} is required`);
    return undefined;
  }
  if (typeof v !== 'string') throw badRequest(`${key} must be a string`);
  return v;
};

export interface ConsoleApi {
  /** Answers a request under /api/ other than the server's own endpoints; false when no route matches. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL, send: SendJson): Promise<boolean>;
}

export function createConsoleApi(o: ConsoleApiOptions): ConsoleApi {
  const { source, auth } = o;
  let explaining = false;

  const principalOf = (req: IncomingMessage): Principal => {
    const r = auth.check(req.headers.authorization);
    if (!r.ok) throw unauthorized(`not signed in: ${r.reason}`);
    return r.principal;
  };

  const needRead = (p: Principal) => {
    if (!p.read) throw unauthorized('sign in to read: http_auth.anonymous_read is false');
  };

  const needWrite = (req: IncomingMessage, p: Principal, hasBody: boolean): string => {
    const csrf = csrfProblem(req, hasBody);
    if (csrf) throw new HttpError(403, 'CSRF', csrf);
    if (!auth.configured)
      throw new HttpError(
        403,
        'READ_ONLY',
        'the console is read-only: configure http_auth in config.yaml to allow silencing',
      );
    const reason = source.settings().readOnlyReason;
    if (reason) throw new HttpError(403, 'READ_ONLY', reason);
    if (!p.user) throw unauthorized('sign in with a token or user that has write access');
    if (!p.write) throw new HttpError(403, 'FORBIDDEN', `${p.user} has read access only`);
    return p.user;
  };

  const session = (p: Principal): SessionInfo => {
    const s = source.settings();
    return {
      user: p.user,
      read: p.read,
      write: p.write && auth.configured && !s.readOnlyReason,
      authConfigured: auth.configured,
      ...(s.readOnlyReason ? { readOnlyReason: s.readOnlyReason } : {}),
      timezone: s.timezone ?? null,
      k8sIndex: s.k8sIndex,
    };
  };

  async function route(
    req: IncomingMessage,
    url: URL,
    signal: AbortSignal,
  ): Promise<[number, unknown] | undefined> {
    const method = req.method ?? 'GET';
    const parts = url.pathname.split('/').slice(2); // after "/api"
    let segs: string[];
    try {
      segs = parts.map((p) => decodeURIComponent(p));
    } catch {
      throw badRequest('the path is not valid URL encoding');
    }
    const q = url.searchParams;
    const p = principalOf(req);
    const [a, b, c] = segs;
    const get = isSafeMethod(method);
    if (a === 'session' && segs.length === 1 && get) return [200, session(p)];
    if (a === 'rules') {
      if (segs.length === 1 && get) {
        needRead(p);
        return [200, await source.rules(signal)];
      }
      if (b !== undefined && segs.length === 2 && get) {
        needRead(p);
        const r = await source.rule(b, signal);
        return r ? [200, r] : [404, { error: `no rule named "${b}"`, code: 'NOT_FOUND' }];
      }
      if (b !== undefined && c === 'runs' && segs.length === 3 && get) {
        needRead(p);
        const runs = await source.runs(b, intParam(q.get('limit'), 'limit', 50, 500), signal);
        return runs ? [200, { runs }] : [404, { error: `no rule named "${b}"`, code: 'NOT_FOUND' }];
      }
      if (b !== undefined && c === 'explain' && segs.length === 3 && method === 'POST') {
        needRead(p);
        const csrf = csrfProblem(req, true);
        if (csrf) throw new HttpError(403, 'CSRF', csrf);
        const body = await readJson(req);
        const end = parseTime(str(body, 'end', false) ?? null, 'end', o.now());
        const start = parseTime(str(body, 'start', false) ?? null, 'start', end - 86_400_000);
        if (start >= end) throw badRequest('start must be before end');
        if (end - start > EXPLAIN_MAX_WINDOW_MS) throw badRequest('the window may span at most 31 days');
        if (explaining)
          throw new HttpError(429, 'BUSY', 'another explanation is running; try again when it is done', {
            'retry-after': '5',
          });
        explaining = true;
        try {
          const r = await source.explain(
            b,
            { start, end },
            AbortSignal.any([signal, AbortSignal.timeout(EXPLAIN_TIMEOUT_MS)]),
          );
          return r ? [200, r] : [404, { error: `no rule named "${b}"`, code: 'NOT_FOUND' }];
        } finally {
          explaining = false;
        }
      }
    }
    if (a === 'alerts' && segs.length === 1 && get) {
      needRead(p);
      const state = q.get('state') || undefined;
      if (state !== undefined && !ALERT_STATES.includes(state as AlertState))
        throw badRequest(`state=${state}: use ${ALERT_STATES.join(', ')}`);
      const filter: AlertFilter = {
        offset: intParam(q.get('offset'), 'offset', 0, 10_000),
        limit: Math.max(1, intParam(q.get('limit'), 'limit', 50, 200)),
        ...(q.get('rule') ? { rule: q.get('rule')! } : {}),
        ...(q.get('query_key') ? { queryKey: q.get('query_key')! } : {}),
        ...(q.get('from') ? { from: new Date(parseTime(q.get('from'), 'from', 0)).toISOString() } : {}),
        ...(q.get('to') ? { to: new Date(parseTime(q.get('to'), 'to', 0)).toISOString() } : {}),
        ...(state ? { state: state as AlertState } : {}),
      };
      return [200, await source.alerts(filter, signal)];
    }
    if (a === 'silences') {
      if (segs.length === 1 && get) {
        needRead(p);
        const rule = q.get('rule') || undefined;
        return [
          200,
          await source.silences({ all: q.get('all') === 'true', ...(rule ? { rule } : {}) }, signal),
        ];
      }
      if (segs.length === 1 && method === 'POST') {
        const author = needWrite(req, p, true);
        const body = await readJson(req);
        const request: SilenceRequest = {
          rule: str(body, 'rule', true)!,
          duration: str(body, 'duration', true)!,
          reason: str(body, 'reason', true)!.trim(),
        };
        const qk = str(body, 'queryKey', false);
        if (qk !== undefined) request.queryKey = qk;
        if (!request.reason) throw badRequest('reason is required: say why the alerts are held back');
        if (request.reason.length > 500) throw badRequest('reason is longer than 500 characters');
        return [201, await source.setSilence({ ...request, author }, signal)];
      }
      if (b !== undefined && segs.length === 2 && method === 'DELETE') {
        const author = needWrite(req, p, false);
        return (await source.liftSilence(b, author, signal))
          ? [200, { lifted: b }]
          : [404, { error: `no silence with id ${b}`, code: 'NOT_FOUND' }];
      }
    }
    if (a === 'k8s') {
      if (b === 'workloads' && segs.length === 2 && get) {
        needRead(p);
        const w = window(q, o.now(), 86_400_000);
        const ns = q.get('namespace') || undefined;
        return [200, await source.k8sWorkloads({ ...w, ...(ns ? { namespace: ns } : {}) }, signal)];
      }
      if (b === 'timeline' && segs.length === 2 && get) {
        needRead(p);
        const namespace = q.get('namespace');
        const workload = q.get('workload');
        if (!namespace || !workload) throw badRequest('namespace and workload are required');
        return [
          200,
          await source.k8sTimeline({ namespace, workload, ...window(q, o.now(), 86_400_000) }, signal),
        ];
      }
    }
    return undefined;
  }

  return {
    async handle(req, res, url, send) {
      const ac = new AbortController();
      res.once('close', () => ac.abort());
      const secrets = () => source.secrets();
      try {
        const answer = await route(req, url, ac.signal);
        if (!answer) return false;
        send(answer[0], redactDeep(answer[1], secrets()));
      } catch (err) {
        if (err instanceof HttpError)
          send(err.status, { error: err.message, code: err.code } satisfies ApiError, err.headers);
        else if (err instanceof ConsoleRequestError)
          send(err.status, redactDeep({ error: err.message, code: 'REQUEST' } satisfies ApiError, secrets()));
        else throw err;
      }
      return true;
    },
  };
}
