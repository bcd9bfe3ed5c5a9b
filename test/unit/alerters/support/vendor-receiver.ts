/**
 * An HTTP server on 127.0.0.1 that plays a vendor's API: every request is checked against what
 * the vendor documents (a `check` function: auth, signature, content type, body shape) and
 * refused with HTTP 400 and the problem when it does not conform; conforming requests get the
 * vendor's answer for that route. Replies can be scripted ahead (failures, delays) as with the
 * plain receiver.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface VendorRequest {
  method: string;
  /** Path without the query. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  raw: Buffer;
  body: string;
  json: unknown;
  /** The body read as a form (application/x-www-form-urlencoded). */
  form: URLSearchParams;
}

export interface VendorReply {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
}

export interface VendorReceiver {
  url: string;
  port: number;
  /** Requests that passed the checks and were answered. */
  received: VendorRequest[];
  /** What the checks refused, one message per request. */
  problems: string[];
  script(...replies: VendorReply[]): void;
  close(): Promise<void>;
}

export interface VendorReceiverOptions {
  /** What is wrong with a request, by the vendor's documentation; undefined when it conforms. */
  check(req: VendorRequest): string | undefined;
  /** The vendor's answer to a conforming request. */
  respond(req: VendorRequest): VendorReply;
}

export async function startVendorReceiver(o: VendorReceiverOptions): Promise<VendorReceiver> {
  const received: VendorRequest[] = [];
  const problems: string[] = [];
  const queue: VendorReply[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = raw.toString('utf8');
      const url = new URL(req.url ?? '/', 'http://receiver');
      let json: unknown;
      try {
        json = body ? JSON.parse(body) : undefined;
      } catch {
        json = undefined;
      }
      const request: VendorRequest = {
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        raw,
        body,
        json,
        form: new URLSearchParams(body),
      };
      const scripted = queue.shift();
      let problem: string | undefined;
      try {
        problem = o.check(request);
      } catch (err) {
        problem = `the check failed: ${(err as Error).message}`;
      }
      // a scripted reply with only a delay answers as usual, late
      const replaces =
        scripted !== undefined && (scripted.status !== undefined || scripted.body !== undefined);
      const usual = (): VendorReply =>
        problem ? { status: 400, body: { error: problem } } : o.respond(request);
      const reply: VendorReply = replaces
        ? scripted
        : { ...usual(), ...(scripted?.delayMs ? { delayMs: scripted.delayMs } : {}) };
      if (problem && !replaces) problems.push(`${request.method} ${request.path}: ${problem}`);
      const answer = () => {
        if (res.destroyed || req.socket.destroyed) return;
        if (!problem || replaces) received.push(request);
        const text =
          reply.body === undefined
            ? ''
            : typeof reply.body === 'string'
              ? reply.body
              : JSON.stringify(reply.body);
        res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
        res.end(text);
      };
      if (reply.delayMs) setTimeout(answer, reply.delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    problems,
    script: (...replies) => queue.push(...replies),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A header as one string (the first when repeated). */
export function header(req: VendorRequest, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Checks HTTP Basic auth; the problem, or undefined. */
export function checkBasic(req: VendorRequest, user: string, password: string): string | undefined {
  const auth = header(req, 'authorization');
  if (!auth?.startsWith('Basic ')) return 'no Basic Authorization header';
  const [u, ...p] = Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':');
  return u === user && p.join(':') === password ? undefined : 'wrong user or password';
}
