/**
 * A counting proxy on 127.0.0.1 in front of Elasticsearch: every request is forwarded unchanged and
 * counted by kind, so two engines' request counts over the same window can be compared.
 *
 *   node bench/compare/es-proxy.ts --target http://127.0.0.1:9200 [--port 9201] [--trace requests.ndjson]
 * prints its URL, and the counts on SIGINT/SIGTERM.
 */
import {
  Agent,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
  createServer,
  request as httpRequest,
} from 'node:http';
import { createWriteStream } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';

export const REQUEST_KINDS = ['search', 'count', 'scroll', 'msearch', 'pit', 'write', 'other'] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

export interface RequestCounts {
  total: number;
  byKind: Record<RequestKind, number>;
  /** Method and path with index names and ids replaced, e.g. "POST /{index}/_search". */
  byEndpoint: Record<string, number>;
}

export interface EsProxy {
  url: string;
  counts(): RequestCounts;
  reset(): void;
  close(): Promise<void>;
}

const WRITE_APIS = new Set(['_doc', '_create', '_update', '_bulk', '_delete_by_query', '_update_by_query']);

/** The kind of an Elasticsearch REST request, from its method and path. */
export function classify(method: string, path: string): RequestKind {
  const parts = path.split('?')[0]!.split('/').filter(Boolean);
  const api = parts.find((p) => p.startsWith('_'));
  if (api === '_search') return parts.includes('scroll') ? 'scroll' : 'search';
  if (api === '_count') return 'count';
  if (api === '_msearch') return 'msearch';
  if (api === '_pit') return 'pit';
  if (api && WRITE_APIS.has(api) && method !== 'GET' && method !== 'HEAD') return 'write';
  return 'other';
}

const DOC_APIS = new Set(['_doc', '_create', '_update', '_source']);

/** "POST /{index}/_search" for "POST /eventrouter-*,logs/_search?size=0". */
export function endpointOf(method: string, path: string): string {
  const parts = path.split('?')[0]!.split('/').filter(Boolean);
  const apiAt = parts.findIndex((p) => p.startsWith('_'));
  const api = parts[apiAt];
  const shape = parts.map((p, i) => {
    if (apiAt < 0 || i < apiAt) return '{index}';
    if (i === apiAt) return p;
    // after _doc, _create, _update the next segment is a document id, which may start with "_" too
    if (api && DOC_APIS.has(api)) return '{id}';
    return /^_?[a-z_]+$/.test(p) ? p : '{id}';
  });
  return `${method} /${shape.join('/')}`;
}

/** Headers that belong to one connection (RFC 9110 7.6.1); forwarding them breaks connection reuse. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !HOP_BY_HOP.has(k.toLowerCase())));
}

function emptyCounts(): RequestCounts {
  return {
    total: 0,
    byKind: Object.fromEntries(REQUEST_KINDS.map((k) => [k, 0])) as Record<RequestKind, number>,
    byEndpoint: {},
  };
}

export interface EsProxyOptions {
  port?: number;
  /**
   * Appends each request (method, path, body) and its answer (status, time, size and, for searches,
   * each search's `took`, hits and size) to this file as one JSON line, for debugging.
   */
  traceFile?: string;
}

/** For the trace: each search's time in Elasticsearch, hits and answer size, from an `_msearch` answer. */
function itemsOf(path: string, answer: Buffer): { took: number; hits: number; bytes: number }[] | undefined {
  if (!path.includes('_msearch') && !path.includes('_search')) return undefined;
  try {
    const parsed = JSON.parse(answer.toString('utf8')) as {
      responses?: { took?: number; hits?: { hits?: unknown[] } }[];
      took?: number;
      hits?: { hits?: unknown[] };
    };
    const list = parsed.responses ?? [parsed];
    return list.map((r) => ({
      took: r.took ?? -1,
      hits: r.hits?.hits?.length ?? 0,
      bytes: JSON.stringify(r).length,
    }));
  } catch {
    return undefined;
  }
}

export async function startEsProxy(target: string, options: EsProxyOptions = {}): Promise<EsProxy> {
  const upstream = new URL(target);
  const trace = options.traceFile ? createWriteStream(options.traceFile, { flags: 'a' }) : undefined;
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  let counts = emptyCounts();
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const started = Date.now();
    let requestBody = '';
    counts.total++;
    counts.byKind[classify(method, path)]++;
    const endpoint = endpointOf(method, path);
    counts.byEndpoint[endpoint] = (counts.byEndpoint[endpoint] ?? 0) + 1;
    const fwd = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method,
        path,
        agent,
        headers: { ...endToEnd(req.headers), host: upstream.host },
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, endToEnd(up.headers));
        up.pipe(res);
        if (trace) {
          const chunks: Buffer[] = [];
          up.on('data', (c: Buffer) => chunks.push(c));
          up.on('end', () => {
            const answer = Buffer.concat(chunks);
            trace.write(
              `${JSON.stringify({ method, path, body: requestBody, status: up.statusCode, ms: Date.now() - started, bytes: answer.length, items: itemsOf(path, answer) })}\n`,
            );
          });
        }
      },
    );
    fwd.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`es-proxy: ${err.message}`);
    });
    if (trace) {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        requestBody = Buffer.concat(chunks).toString('utf8');
      });
    }
    req.pipe(fwd);
  };
  const server = createServer(handler);
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    counts: () => structuredClone(counts),
    reset: () => {
      counts = emptyCounts();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
        trace?.end();
      }),
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { target: { type: 'string' }, port: { type: 'string' }, trace: { type: 'string' } },
  });
  if (!values.target) {
    console.error('usage: node bench/compare/es-proxy.ts --target <es url> [--port <n>] [--trace <file>]');
    process.exit(2);
  }
  const proxy = await startEsProxy(values.target, {
    ...(values.port ? { port: Number(values.port) } : {}),
    ...(values.trace ? { traceFile: values.trace } : {}),
  });
  console.log(proxy.url);
  const stop = () => {
    console.log(JSON.stringify(proxy.counts(), null, 2));
    void proxy.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
