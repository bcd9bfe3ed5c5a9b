/**
 * The Elasticsearch connection: the official client, set up for the server it talks to.
 *
 * The client announces a REST API version in its Accept/Content-Type headers
 * (`compatible-with=9` for client 9.x). Elasticsearch 8 rejects requests with a body that ask for
 * 9, and 7.x and OpenSearch know no such media type. So the server version is read first (GET /,
 * falling back to the nodes API on distributions without the root endpoint, or ES_VERSION), and
 * requests are then sent with the headers that server accepts.
 */
import { readFileSync } from 'node:fs';
import { Client, errors as esErrors } from '@elastic/elasticsearch';
import type { ClientOptions } from '@elastic/elasticsearch';
import type { EsConnectionOptions } from '../config/es-connection.ts';
import { EsalertError, errorMessage } from '../errors/esalert-error.ts';

export type Distribution = 'elasticsearch' | 'opensearch';

export interface ServerInfo {
  version: string;
  major: number;
  distribution: Distribution;
}

export interface EsConnection {
  client: Client;
  server: ServerInfo;
  close(): Promise<void>;
}

const PLAIN_JSON = { accept: 'application/json', 'content-type': 'application/json' };

/** Headers a server of this version and distribution accepts from client 9.x. */
export function compatibilityHeaders(server: ServerInfo): Record<string, string> | undefined {
  if (server.distribution === 'opensearch' || server.major < 8) return PLAIN_JSON;
  if (server.major === 8) {
    return {
      accept: 'application/vnd.elasticsearch+json; compatible-with=8',
      'content-type': 'application/vnd.elasticsearch+json; compatible-with=8',
    };
  }
  return undefined; // 9.x and later accept the client's own headers (REST compatibility N-1)
}

export function parseServerVersion(
  version: string,
  distribution: Distribution = 'elasticsearch',
): ServerInfo {
  const major = Number(version.split('.')[0]);
  if (!Number.isInteger(major)) {
    throw new EsalertError('ES_VERSION_UNSUPPORTED', `cannot read the Elasticsearch version "${version}"`);
  }
  return { version, major, distribution };
}

function clientOptions(options: EsConnectionOptions): ClientOptions {
  const opts: ClientOptions = {
    nodes: options.nodes,
    requestTimeout: options.requestTimeoutMs,
    maxRetries: 0, // retries are decided by the engine, which knows whether a request is safe to repeat
    headers: PLAIN_JSON,
  };
  const a = options.auth;
  if (a?.kind === 'apiKey') opts.auth = { apiKey: a.apiKey };
  else if (a?.kind === 'bearer') opts.auth = { bearer: a.token };
  else if (a?.kind === 'basic') opts.auth = { username: a.username, password: a.password };
  if (options.tls) {
    const read = (file: string, what: string) => {
      try {
        return readFileSync(file);
      } catch (err) {
        throw new EsalertError('CONFIG_INVALID', `${what} ${file} cannot be read: ${errorMessage(err)}`, {
          cause: err,
        });
      }
    };
    opts.tls = {
      rejectUnauthorized: options.tls.rejectUnauthorized,
      ...(options.tls.caFile ? { ca: read(options.tls.caFile, 'ca_certs') } : {}),
      ...(options.tls.certFile ? { cert: read(options.tls.certFile, 'client_cert') } : {}),
      ...(options.tls.keyFile ? { key: read(options.tls.keyFile, 'client_key') } : {}),
    };
  }
  return opts;
}

/** Turns a client error into one of ours, with a message that says what to check. */
export function toEsError(err: unknown, what: string): EsalertError {
  if (err instanceof EsalertError) return err;
  if (err instanceof esErrors.ResponseError) {
    const status = err.meta.statusCode ?? 0;
    if (status === 401 || status === 403) {
      return new EsalertError(
        'ES_AUTH',
        `${what}: Elasticsearch answered ${status}; check es_username/es_password, es_api_key or es_bearer and the user's privileges`,
        { cause: err },
      );
    }
    const reason = summarizeEsError(err.meta.body) ?? err.message;
    return new EsalertError('ES_QUERY_FAILED', `${what}: HTTP ${status}: ${reason}`, {
      cause: err,
      retryable: status === 429 || status >= 500,
    });
  }
  if (
    err instanceof esErrors.ConnectionError ||
    err instanceof esErrors.TimeoutError ||
    err instanceof esErrors.NoLivingConnectionsError
  ) {
    return new EsalertError('ES_UNREACHABLE', `${what}: ${err.message}`, { cause: err, retryable: true });
  }
  if (err instanceof esErrors.RequestAbortedError) {
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

async function detectServer(client: Client, signal?: AbortSignal): Promise<ServerInfo> {
  try {
    const res = await client.transport.request<{ version?: { number?: string; distribution?: string } }>(
      { method: 'GET', path: '/' },
      { signal, meta: false },
    );
    if (res.version?.number) {
      return parseServerVersion(
        res.version.number,
        res.version.distribution === 'opensearch' ? 'opensearch' : 'elasticsearch',
      );
    }
  } catch (err) {
    const status = err instanceof esErrors.ResponseError ? err.meta.statusCode : undefined;
    // 404/405: a distribution without the root endpoint; anything else is a real failure.
    if (status !== 404 && status !== 405) throw toEsError(err, 'cannot reach Elasticsearch');
  }
  const nodes = await client.transport
    .request<{ nodes?: Record<string, { version?: string }> }>(
      { method: 'GET', path: '/_nodes/_local', querystring: { filter_path: 'nodes.*.version' } },
      { signal, meta: false },
    )
    .catch((err: unknown) => {
      throw toEsError(err, 'cannot read the Elasticsearch version');
    });
  const version = Object.values(nodes.nodes ?? {})[0]?.version;
  if (!version) throw new EsalertError('ES_VERSION_UNSUPPORTED', 'Elasticsearch did not report its version');
  return parseServerVersion(version);
}

/** One request to Elasticsearch and its answer (--es-debug). */
export interface EsRequestEvent {
  method: string;
  path: string;
  status: number | undefined;
  /** The request body (a query, a document), as sent. */
  body: unknown;
  error?: string;
}

export interface ConnectOptions {
  signal?: AbortSignal;
  /** Called after each request (--es-debug logs them). */
  onRequest?: (event: EsRequestEvent) => void;
}

/** Reports every request of `client` to `onRequest` (its diagnostic events; headers are left out). */
function watchRequests(client: Client, onRequest: (event: EsRequestEvent) => void): void {
  client.diagnostic.on('response', (err, result) => {
    const params = result?.meta?.request?.params;
    const query = params?.querystring ? `?${String(params.querystring)}` : '';
    const body: unknown = params?.body;
    onRequest({
      method: params?.method ?? '?',
      path: `${params?.path ?? '?'}${query}`,
      status: result?.statusCode ?? undefined,
      body: typeof body === 'string' ? body : body === undefined ? undefined : String(body),
      ...(err ? { error: errorMessage(err) } : {}),
    });
  });
}

/** Connects, detects the server version (unless overridden) and returns a client speaking its dialect. */
export async function connectElasticsearch(
  options: EsConnectionOptions,
  connect: ConnectOptions = {},
): Promise<EsConnection> {
  const probe = new Client(clientOptions(options));
  if (connect.onRequest) watchRequests(probe, connect.onRequest);
  let server: ServerInfo;
  try {
    server = options.versionOverride
      ? parseServerVersion(options.versionOverride)
      : await detectServer(probe, connect.signal);
  } catch (err) {
    await probe.close();
    throw err;
  }
  if (server.major < 7) {
    await probe.close();
    throw new EsalertError(
      'ES_VERSION_UNSUPPORTED',
      `Elasticsearch ${server.version} is not supported (7.x or later is needed)`,
    );
  }
  const headers = compatibilityHeaders(server);
  if (headers) return { client: probe.child({ headers }), server, close: () => probe.close() };
  // 9.x and later: a client without our plain-JSON override sends its own compatible-with headers.
  await probe.close();
  const client = new Client({ ...clientOptions(options), headers: {} });
  if (connect.onRequest) watchRequests(client, connect.onRequest);
  return { client, server, close: () => client.close() };
}
