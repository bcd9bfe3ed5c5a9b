/**
 * An HTTP receiver on 127.0.0.1 that records what alerters send, and plays the vendor's API when
 * asked to: `check` refuses requests that break the vendor's rules (an auth or validation error),
 * `respond` gives the vendor's answer to the others. Its answers can also be scripted (status
 * codes, JSON bodies such as DingTalk's {"errcode":130101}, delays, or no answer until released)
 * to exercise retries, timeouts and requests cut short.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  /** The path with its query, as requested. */
  path: string;
  /** The path without the query. */
  pathname: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  raw: Buffer;
  body: string;
  json: unknown;
  /** The body read as a form (application/x-www-form-urlencoded). */
  form: URLSearchParams;
  /** When it was answered. */
  at: number;
}

/** A request as `check` and `respond` see it. */
export type Request = Omit<Received, 'at'>;

export interface Reply {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
  /** No answer until release(): a receiver that does not answer, for as long as the test needs. */
  hold?: boolean;
}

export interface Receiver {
  url: string;
  port: number;
  /** The requests answered (not those whose client went away first), in order. */
  received: Received[];
  /**
   * Answers for the next requests, in order; afterwards the usual answer. A reply with only a
   * delay is the usual answer, late.
   */
  script(...replies: Reply[]): void;
  /** The usual answer, unless `respond` gives one. */
  fallback: Reply;
  /** Resolves once `n` requests arrived. */
  waitFor(n: number, timeoutMs?: number): Promise<Received[]>;
  /** How many requests wait for an answer that `hold` keeps back. */
  holding(): number;
  /** Answers the held requests (those whose clients are still there are then received). */
  release(): void;
  close(): Promise<void>;
}

export interface ReceiverOptions {
  /**
   * Checks each request as the vendor's API would; a reply returned here (an auth or validation
   * error) is sent instead of the scripted one, which is used up all the same.
   */
  check?: (request: Request) => Reply | undefined;
  /** The vendor's answer to a request (instead of `fallback`), decided when it is answered. */
  respond?: (request: Request) => Reply;
}

function readRequest(method: string, url: string, headers: IncomingHttpHeaders, raw: Buffer): Request {
  const body = raw.toString('utf8');
  const u = new URL(url, 'http://receiver');
  let json: unknown;
  try {
    json = body ? JSON.parse(body) : undefined;
  } catch {
    json = undefined;
  }
  return {
    method,
    path: url,
    pathname: u.pathname,
    query: u.searchParams,
    headers,
    raw,
    body,
    json,
    form: new URLSearchParams(body),
  };
}

/** A header as one string (repeated ones joined as Node joins them). */
export function header(request: Pick<Request, 'headers'>, name: string): string | undefined {
  const v = request.headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(', ') : v;
}

export interface HttpServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * An HTTP server on 127.0.0.1 that reads each request whole and hands it to `handle`, which
 * answers through `answer`: `decide` gives the reply when it is sent (after `delayMs`), and is not
 * called at all when the client went away first.
 */
export async function serveHttp(
  handle: (request: Request, answer: (decide: () => Reply, delayMs?: number) => void) => void,
): Promise<HttpServer> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request = readRequest(req.method ?? '', req.url ?? '', req.headers, Buffer.concat(chunks));
      handle(request, (decide, delayMs) => {
        const send = () => {
          // a client that went away before the answer never learnt it was received: do not count it
          if (res.destroyed || req.socket.destroyed) return;
          const reply = decide();
          res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
          res.end(
            reply.body === undefined
              ? ''
              : typeof reply.body === 'string'
                ? reply.body
                : JSON.stringify(reply.body),
          );
        };
        if (delayMs) setTimeout(send, delayMs);
        else send();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export async function startReceiver(
  fallback: Reply = { status: 200, body: { errcode: 0, errmsg: 'ok' } },
  options: ReceiverOptions = {},
): Promise<Receiver> {
  const received: Received[] = [];
  const queue: Reply[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const held: (() => void)[] = [];
  const server = await serveHttp((request, answer) => {
    const scripted = queue.shift();
    const refused = options.check?.(request);
    const replaces = scripted?.status !== undefined || scripted?.body !== undefined;
    const reply = () =>
      answer(
        () => {
          received.push({ ...request, at: Date.now() });
          for (const w of waiters.filter((x) => received.length >= x.n)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve();
          }
          return refused ?? (replaces ? scripted! : (options.respond?.(request) ?? r.fallback));
        },
        refused ? refused.delayMs : scripted?.delayMs,
      );
    if (scripted?.hold && !refused) held.push(reply);
    else reply();
  });
  const r: Receiver = {
    url: server.url,
    port: server.port,
    received,
    fallback,
    script: (...replies) => queue.push(...replies),
    waitFor: (n, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        if (received.length >= n) return resolve(received);
        const t = setTimeout(
          () => reject(new Error(`expected ${n} requests, got ${received.length}`)),
          timeoutMs,
        );
        waiters.push({ n, resolve: () => (clearTimeout(t), resolve(received)) });
      }),
    holding: () => held.length,
    release: () => {
      for (const answer of held.splice(0)) answer();
    },
    close: () => {
      held.length = 0;
      return server.close();
    },
  };
  return r;
}

export interface VendorReceiver extends Receiver {
  /** What the checks refused, one message per request ("POST /path: problem"). */
  problems: string[];
}

/**
 * A receiver whose `check` says what is wrong with a request by the vendor's documentation (or
 * undefined when it conforms): such a request is answered HTTP 400 with the problem, which is kept
 * in `problems`, whatever was scripted for it.
 */
export async function startVendorReceiver(api: {
  check?: (request: Request) => string | undefined;
  respond?: (request: Request) => Reply;
  fallback?: Reply;
}): Promise<VendorReceiver> {
  const problems: string[] = [];
  const rx = await startReceiver(api.fallback, {
    check: (request) => {
      let problem: string | undefined;
      try {
        problem = api.check?.(request);
      } catch (err) {
        problem = `the check failed: ${(err as Error).message}`;
      }
      if (problem === undefined) return undefined;
      problems.push(`${request.method} ${request.pathname}: ${problem}`);
      return { status: 400, body: { receiver: problem } };
    },
    ...(api.respond ? { respond: api.respond } : {}),
  });
  return Object.assign(rx, { problems });
}
