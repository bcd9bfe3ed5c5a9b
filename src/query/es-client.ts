/**
 * The connection to Elasticsearch or OpenSearch: our own small client (es-api.ts) over node:http
 * (es-transport.ts), speaking the dialect of the server it found (server-dialect.ts).
 *
 * The server's distribution and version are read once, when connecting: GET /, or the nodes API on
 * distributions without the root endpoint. ES_VERSION (ElastAlert 2's override, e.g. "7.17.0", or
 * "opensearch-2.19.6" for OpenSearch) skips the detection, for users whose credentials may not read
 * either.
 */
import type { EsConnectionOptions } from '../config/es-connection.ts';
import { EsalertError, errorMessage } from '../errors/esalert-error.ts';
import { type EsClient, createEsClient } from './es-api.ts';
import {
  ConnectionError,
  type EsTransport,
  RequestAbortedError,
  ResponseError,
  TimeoutError,
  createEsTransport,
  type EsRequestEvent,
} from './es-transport.ts';
import {
  type Distribution,
  type ServerInfo,
  checkSupported,
  createServerDialect,
  describeServer,
  parseServerVersion,
} from './server-dialect.ts';

export type { Distribution, ServerInfo };
export type { EsClient, EsRequestEvent };
export { describeServer, parseServerVersion };

/** The error classes our client throws, under the names call sites check (errors.ResponseError...). */
export const errors = { ResponseError, ConnectionError, TimeoutError, RequestAbortedError };

export interface EsConnection {
  client: EsClient;
  server: ServerInfo;
  /** How the server was identified: asked, or taken from ES_VERSION. */
  detected: 'server' | 'override';
  close(): Promise<void>;
}

/** Turns a client error into one of ours, with a message that says what to check. */
export function toEsError(err: unknown, what: string): EsalertError {
  if (err instanceof EsalertError) return err;
  if (err instanceof ResponseError) {
    const status = err.statusCode;
    if (status === 401 || status === 403) {
      return new EsalertError(
        'ES_AUTH',
        `${what}: Elasticsearch answered ${status}; check es_username/es_password, es_api_key or es_bearer and the user's privileges`,
        { cause: err },
      );
    }
    const reason = summarizeEsError(err.body) ?? err.message;
    return new EsalertError('ES_QUERY_FAILED', `${what}: HTTP ${status}: ${reason}`, {
      cause: err,
      retryable: status === 429 || status >= 500,
    });
  }
  if (err instanceof ConnectionError) {
    return new EsalertError('ES_UNREACHABLE', `${what}: ${err.message}`, { cause: err, retryable: true });
  }
  if (err instanceof RequestAbortedError) {
    return new EsalertError('ABORTED', `${what}: aborted`, { cause: err });
  }
  return new EsalertError('ES_QUERY_FAILED', `${what}: ${errorMessage(err)}`, {
    cause: err,
    retryable: false,
  });
}

/** The most useful line of an Elasticsearch error body (root cause type and reason). */
export function summarizeEsError(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return typeof body === 'string' ? body.slice(0, 1024) : undefined;
  const e = (body as { error?: unknown }).error;
  if (typeof e === 'string') return e.slice(0, 1024);
  if (!e || typeof e !== 'object') return undefined;
  const err = e as {
    type?: string;
    reason?: string;
    root_cause?: { type?: string; reason?: string }[];
    caused_by?: { type?: string; reason?: string };
  };
  const root = err.root_cause?.[0] ?? err.caused_by ?? err;
  const text = [root.type, root.reason].filter(Boolean).join(': ');
  const outer = err.type && err.type !== root.type ? `${err.type}: ${err.reason ?? ''} (${text})` : text;
  return outer.slice(0, 1024);
}

/** The server's distribution and version: GET /, else (no root endpoint) the local node's info. */
export async function detectServer(transport: EsTransport, signal?: AbortSignal): Promise<ServerInfo> {
  try {
    const res = await transport.request<{ version?: { number?: string; distribution?: string } }>(
      { method: 'GET', path: '/' },
      { signal },
    );
    const v = res.body?.version;
    if (v?.number) {
      return parseServerVersion(v.number, v.distribution === 'opensearch' ? 'opensearch' : 'elasticsearch');
    }
  } catch (err) {
    const status = err instanceof ResponseError ? err.statusCode : undefined;
    // 404/405: a distribution without the root endpoint; anything else is a real failure.
    if (status !== 404 && status !== 405) throw toEsError(err, 'cannot reach Elasticsearch');
  }
  const nodes = await transport
    .request<{ nodes?: Record<string, { version?: string; build_type?: string; distribution?: string }> }>(
      { method: 'GET', path: '/_nodes/_local', querystring: { filter_path: 'nodes.*.version' } },
      { signal },
    )
    .catch((err: unknown) => {
      throw toEsError(err, 'cannot read the Elasticsearch version (set ES_VERSION to skip this)');
    });
  const version = Object.values(nodes.body?.nodes ?? {})[0]?.version;
  if (!version) throw new EsalertError('ES_VERSION_UNSUPPORTED', 'Elasticsearch did not report its version');
  return parseServerVersion(version);
}

export interface ConnectOptions {
  signal?: AbortSignal;
  /** Hears of every request and its answer (--es-debug logs them). */
  onRequest?: (event: EsRequestEvent) => void;
}

/** Connects, identifies the server (unless ES_VERSION says what it is) and returns a client for it. */
export async function connectElasticsearch(
  options: EsConnectionOptions,
  connect: ConnectOptions = {},
): Promise<EsConnection> {
  const transport = createEsTransport(options, connect.onRequest ? { onRequest: connect.onRequest } : {});
  try {
    const server = options.versionOverride
      ? parseServerVersion(options.versionOverride)
      : await detectServer(transport, connect.signal);
    checkSupported(server);
    const client = createEsClient(transport, createServerDialect(server));
    return {
      client,
      server,
      detected: options.versionOverride ? 'override' : 'server',
      close: () => transport.close(),
    };
  } catch (err) {
    await transport.close();
    throw err;
  }
}
