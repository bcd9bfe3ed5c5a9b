/**
 * HTTP to Elasticsearch and OpenSearch over Node's own http and https: one request at a time to one
 * of the configured nodes (round robin), the next node on a connection failure, authentication,
 * TLS, a timeout per request and the caller's AbortSignal. Nothing here knows about a server's API or version: that is
 * es-api.ts and server-dialect.ts.
 */
import { readFileSync } from 'node:fs';
import type { Agent as HttpAgent, IncomingMessage } from 'node:http';
import type { EsConnectionOptions } from '../config/es-connection.ts';
import { EsalertError, errorMessage } from '../errors/esalert-error.ts';

export type QueryValue = string | number | boolean | string[] | undefined;

export interface TransportRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';
  /** Path below the node's URL (and its es_url_prefix), starting with "/". */
  path: string;
  querystring?: Record<string, QueryValue>;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as NDJSON (bulk, msearch): one JSON document per line. */
  bulkBody?: readonly unknown[];
}

export interface RequestOptions {
  signal?: AbortSignal | undefined;
  /** Overrides the connection's request timeout. */
  timeoutMs?: number | undefined;
  /** HTTP statuses that are answers rather than errors (e.g. 404 for "does it exist?"). */
  ignore?: number[];
}

export interface TransportResponse<T> {
  statusCode: number;
  body: T;
}

/** An HTTP error answer. Shaped like the official client's ResponseError (meta.statusCode, meta.body, body). */
export class ResponseError extends Error {
  readonly meta: { statusCode: number; body: unknown };
  readonly body: unknown;
  constructor(statusCode: number, body: unknown, what: string) {
    super(`${what}: HTTP ${statusCode}`);
    this.name = 'ResponseError';
    this.meta = { statusCode, body };
    this.body = body;
  }
  get statusCode(): number {
    return this.meta.statusCode;
  }
}

/** No node could be reached (refused, reset, DNS, TLS) or the answer did not come in time. */
export class ConnectionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConnectionError';
  }
}

export class TimeoutError extends ConnectionError {
  constructor(message: string) {
    super(message);
    this.name = 'TimeoutError';
  }
}

export class RequestAbortedError extends Error {
  constructor(message = 'request aborted') {
    super(message);
    this.name = 'RequestAbortedError';
  }
}

export interface EsTransport {
  request<T = unknown>(req: TransportRequest, options?: RequestOptions): Promise<TransportResponse<T>>;
  /** The nodes, for messages (no credentials: they live in headers). */
  readonly nodes: readonly string[];
  close(): Promise<void>;
}

/** No TCP (or TLS) connection to a node after this long: it counts as refused. */
const CONNECT_TIMEOUT_MS = 10_000;
const CONNECT_TIMEOUT = 'ESALERT_CONNECT_TIMEOUT';

/** Errors raised before the request reached the server: trying another node is always safe. */
const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  CONNECT_TIMEOUT,
]);
/** Errors after the request may have been sent: another node only for requests that only read. */
const SOCKET_CODES = new Set(['ECONNRESET', 'EPIPE']);

function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function isReadOnly(req: TransportRequest): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') return true;
  return /\/(_search|_count|_msearch)(\/|$)/.test(req.path) && !req.path.includes('point_in_time');
}

export function encodeQuery(qs: Record<string, QueryValue> | undefined): string {
  if (!qs) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(qs)) {
    if (v === undefined) continue;
    const text = Array.isArray(v) ? v.join(',') : String(v);
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(text)}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

function authorization(options: EsConnectionOptions): string | undefined {
  const a = options.auth;
  if (!a) return undefined;
  switch (a.kind) {
    case 'apiKey':
      return `ApiKey ${a.apiKey}`;
    case 'bearer':
      return `Bearer ${a.token}`;
    case 'basic':
      return `Basic ${Buffer.from(`${a.username}:${a.password}`).toString('base64')}`;
  }
}

function readTlsFile(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new EsalertError('CONFIG_INVALID', `${what} ${file} cannot be read: ${errorMessage(err)}`, {
      cause: err,
    });
  }
}

/**
 * Node's own http rather than undici: undici parses HTTP with a WebAssembly build of llhttp and
 * loads its fetch, cache and WebSocket code on import (about 15 MB of memory). Taken with
 * getBuiltinModule, not `import ... from 'node:http'`: an ES import reads every export of the
 * module, and node:http's WebSocket, CloseEvent and MessageEvent getters then load Node's bundled
 * undici (another 10 MB). node:https (TLS, about 6 MB) is loaded only for https:// nodes.
 * See docs/deploy.md, Memory.
 */
const http = process.getBuiltinModule('node:http');

/** Keep-alive connections, at most 32 per node, an idle one closed after 30 s. */
const AGENT_OPTIONS = { keepAlive: true, maxSockets: 32, timeout: 30_000, scheduling: 'lifo' } as const;

function createHttpsAgent(options: EsConnectionOptions): HttpAgent {
  const tls = options.tls;
  return new (process.getBuiltinModule('node:https').Agent)({
    ...AGENT_OPTIONS,
    ...(tls
      ? {
          rejectUnauthorized: tls.rejectUnauthorized,
          ...(tls.caFile ? { ca: readTlsFile(tls.caFile, 'ca_certs') } : {}),
          ...(tls.certFile ? { cert: readTlsFile(tls.certFile, 'client_cert') } : {}),
          ...(tls.keyFile ? { key: readTlsFile(tls.keyFile, 'client_key') } : {}),
        }
      : {}),
  });
}

/** The answer's status, headers and body text (none for HEAD). */
interface RawResponse {
  statusCode: number;
  contentType: string;
  text: string;
}

function readResponse(res: IncomingMessage, method: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const done = (text: string) =>
      resolve({
        statusCode: res.statusCode ?? 0,
        contentType: String(res.headers['content-type'] ?? ''),
        text,
      });
    res.on('error', reject);
    // a connection that closes before the body's end is a socket failure, as a reset is
    res.on('aborted', () =>
      reject(Object.assign(new Error('connection closed mid-answer'), { code: 'ECONNRESET' })),
    );
    if (method === 'HEAD') {
      res.resume();
      res.on('end', () => done(''));
      return;
    }
    // decoded as it arrives (a character split between two chunks included): no copy of the whole body
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => (text += chunk));
    res.on('end', () => done(text));
  });
}

function parseBody(res: RawResponse): unknown {
  const text = res.text;
  if (!text) return undefined;
  const type = res.contentType;
  if (type.includes('json') || /^\s*[[{]/.test(text)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

/** A node that failed to connect is left out for this long (doubling, at most 5 minutes). */
const DEAD_BASE_MS = 1000;
const DEAD_MAX_MS = 5 * 60_000;

/** One request and its answer, for --es-debug. */
export interface EsRequestEvent {
  method: string;
  /** The path with its query string. */
  path: string;
  status: number | undefined;
  /** The request body as sent (JSON text; NDJSON lines for bulk requests). */
  body: string | undefined;
  error?: string;
}

/** A transport that tells `onRequest` of every request and its answer (--es-debug). */
export function createEsTransport(
  options: EsConnectionOptions,
  hooks: { onRequest?: (event: EsRequestEvent) => void } = {},
): EsTransport {
  const transport = createPlainTransport(options);
  const onRequest = hooks.onRequest;
  if (!onRequest) return transport;
  const describe = (req: TransportRequest): EsRequestEvent => ({
    method: req.method,
    path: `${req.path}${encodeQuery(req.querystring)}`,
    status: undefined,
    body: req.bulkBody
      ? req.bulkBody.map((l) => JSON.stringify(l)).join('\n')
      : req.body === undefined || typeof req.body === 'string'
        ? req.body
        : JSON.stringify(req.body),
  });
  return {
    ...transport,
    async request<T>(req: TransportRequest, o?: RequestOptions): Promise<TransportResponse<T>> {
      try {
        const res = await transport.request<T>(req, o);
        onRequest({ ...describe(req), status: res.statusCode });
        return res;
      } catch (err) {
        const status = err instanceof ResponseError ? err.meta.statusCode : undefined;
        onRequest({ ...describe(req), status, error: errorMessage(err) });
        throw err;
      }
    },
  };
}

function createPlainTransport(options: EsConnectionOptions): EsTransport {
  const nodes = options.nodes.map((n) => n.replace(/\/+$/, ''));
  if (nodes.length === 0) throw new EsalertError('CONFIG_INVALID', 'no Elasticsearch node configured');
  const httpAgent = new http.Agent(AGENT_OPTIONS);
  // TLS files are read (and a missing one reported) when the transport is created
  const httpsAgent =
    options.tls || nodes.some((n) => n.startsWith('https:')) ? createHttpsAgent(options) : undefined;
  const auth = authorization(options);
  const deadUntil = new Array<number>(nodes.length).fill(0);
  const failures = new Array<number>(nodes.length).fill(0);
  let next = 0;

  /** Nodes to try, in order: the live ones round robin from `next`, then the resting ones. */
  const order = (): number[] => {
    const now = Date.now();
    const start = next;
    next = (next + 1) % nodes.length;
    const rotated = nodes.map((_, i) => (start + i) % nodes.length);
    return [...rotated.filter((i) => deadUntil[i]! <= now), ...rotated.filter((i) => deadUntil[i]! > now)];
  };

  const send = (node: number, req: TransportRequest, signal: AbortSignal): Promise<RawResponse> => {
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'esalert' };
    if (auth) headers.authorization = auth;
    let body: string | undefined;
    if (req.bulkBody) {
      headers['content-type'] = 'application/x-ndjson';
      body = req.bulkBody.map((l) => `${JSON.stringify(l)}\n`).join('');
    } else if (req.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
    }
    const url = new URL(`${nodes[node]}${req.path}${encodeQuery(req.querystring)}`);
    const tls = url.protocol === 'https:';
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    return new Promise((resolve, reject) => {
      const out = (tls ? process.getBuiltinModule('node:https') : http).request(
        url,
        { method: req.method, headers, signal, agent: tls ? httpsAgent : httpAgent },
        (res) => readResponse(res, req.method).then(resolve, reject),
      );
      out.on('error', reject);
      out.on('socket', (socket) => {
        if (!socket.connecting) return;
        const timer = setTimeout(
          () =>
            out.destroy(
              Object.assign(new Error(`no connection within ${CONNECT_TIMEOUT_MS} ms`), {
                code: CONNECT_TIMEOUT,
              }),
            ),
          CONNECT_TIMEOUT_MS,
        );
        socket.once(tls ? 'secureConnect' : 'connect', () => clearTimeout(timer));
        socket.once('close', () => clearTimeout(timer));
      });
      out.end(body);
    });
  };

  return {
    nodes,
    async request<T>(req: TransportRequest, o: RequestOptions = {}): Promise<TransportResponse<T>> {
      const what = `${req.method} ${req.path}`;
      if (o.signal?.aborted) throw new RequestAbortedError();
      const timeoutMs = o.timeoutMs ?? options.requestTimeoutMs;
      const timeout = new AbortController();
      const timer = setTimeout(() => timeout.abort(), timeoutMs);
      const signal = o.signal ? AbortSignal.any([o.signal, timeout.signal]) : timeout.signal;
      let lastError: unknown;
      try {
        for (const node of order()) {
          let res: RawResponse;
          let body: unknown;
          try {
            res = await send(node, req, signal);
            body = parseBody(res);
          } catch (err) {
            if (o.signal?.aborted) throw new RequestAbortedError();
            if (timeout.signal.aborted) {
              throw new TimeoutError(`${what}: no answer from ${nodes[node]} within ${timeoutMs} ms`);
            }
            const code = errorCode(err);
            const connectFailure = code !== undefined && CONNECT_CODES.has(code);
            const socketFailure = code !== undefined && SOCKET_CODES.has(code);
            if (connectFailure || socketFailure) {
              failures[node] = failures[node]! + 1;
              deadUntil[node] = Date.now() + Math.min(DEAD_MAX_MS, DEAD_BASE_MS * 2 ** (failures[node]! - 1));
            }
            lastError = new ConnectionError(`${nodes[node]}: ${errorMessage(err)}`, { cause: err });
            // TLS and other failures are the same on every node: no point trying the next one.
            if (connectFailure || (socketFailure && isReadOnly(req))) continue;
            throw lastError;
          }
          failures[node] = 0;
          deadUntil[node] = 0;
          if (res.statusCode >= 400 && !o.ignore?.includes(res.statusCode)) {
            throw new ResponseError(res.statusCode, body, what);
          }
          return { statusCode: res.statusCode, body: body as T };
        }
        throw lastError instanceof Error ? lastError : new ConnectionError(`${what}: no node to send it to`);
      } finally {
        clearTimeout(timer);
      }
    },
    close() {
      httpAgent.destroy();
      httpsAgent?.destroy();
      return Promise.resolve();
    },
  };
}
