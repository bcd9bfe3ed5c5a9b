/**
 * An HTTP receiver on 127.0.0.1 that records what alerters send. Its answers can be scripted
 * (status codes, JSON bodies such as DingTalk's {"errcode":130101}, delays, or no answer until
 * released) to exercise retries, timeouts and requests cut short.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: unknown;
  at: number;
}

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
  received: Received[];
  /** Answers for the next requests, in order; afterwards `fallback`. */
  script(...replies: Reply[]): void;
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
  check?: (request: Omit<Received, 'at'>) => Reply | undefined;
}

export async function startReceiver(
  fallback: Reply = { status: 200, body: { errcode: 0, errmsg: 'ok' } },
  options: ReceiverOptions = {},
): Promise<Receiver> {
  const received: Received[] = [];
  const queue: Reply[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const held: (() => void)[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = body ? JSON.parse(body) : undefined;
      } catch {
        json = undefined;
      }
      const request = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, json };
      const scripted = queue.shift() ?? r.fallback;
      const reply = options.check?.(request) ?? scripted;
      const answer = () => {
        // a client that went away before the answer never learnt it was received: do not count it
        if (res.destroyed || req.socket.destroyed) return;
        received.push({ ...request, at: Date.now() });
        for (const w of waiters.filter((x) => received.length >= x.n)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
        res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
        res.end(
          reply.body === undefined
            ? ''
            : typeof reply.body === 'string'
              ? reply.body
              : JSON.stringify(reply.body),
        );
      };
      if (reply.hold) held.push(answer);
      else if (reply.delayMs) setTimeout(answer, reply.delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const r: Receiver = {
    url: `http://127.0.0.1:${port}`,
    port,
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
    close: () =>
      new Promise((resolve) => {
        held.length = 0;
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return r;
}
