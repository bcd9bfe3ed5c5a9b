/**
 * The one small HTTP server of `esalert run --http-port`: /metrics (Prometheus), /healthz
 * (liveness), /readyz (readiness: rules loaded, Elasticsearch answering), /api/rules (each
 * rule's load status, last run, next run and last alert), and the console at / with its JSON
 * API under /api/ (docs/console.md, docs/api.md) once the app has attached it. Every answer
 * carries the security headers of console/request-guard.ts; binds to the given host.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { type ConsoleApi, createConsoleApi } from './console/console-api.ts';
import { type Asset, type ConsoleAssets, loadConsoleAssets } from './console/console-assets.ts';
import type { ConsoleSource } from './console/console-source.ts';
import { createAuthenticator, type HttpAuthSettings } from './console/http-auth.ts';
import { isSafeMethod, SECURITY_HEADERS } from './console/request-guard.ts';
import type { Observability } from './observability.ts';
import { redactText } from '../util/redact.ts';

export interface HttpServer {
  url: string;
  /** Serves the console's API from this source (the app calls it once it runs). */
  attachConsole(o: { source: ConsoleSource; auth: HttpAuthSettings | undefined }): void;
  close(): Promise<void>;
}

export interface HttpServerOptions {
  /** Current time (epoch ms), for the API's default windows. */
  now?: () => number;
}

/** Bodies at least this large are gzipped for clients that accept it (the rules list of a large installation). */
const GZIP_FROM_BYTES = 8192;

const acceptsGzip = (req: IncomingMessage) => /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));

function send(
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  type: string,
  headers: Record<string, string> = {},
  gzipped?: () => Buffer,
): void {
  let out = typeof body === 'string' ? Buffer.from(body) : body;
  const extra: Record<string, string> = {};
  if (out.length >= GZIP_FROM_BYTES && acceptsGzip(res.req)) {
    out = gzipped ? gzipped() : gzipSync(out, { level: 4 });
    extra['content-encoding'] = 'gzip';
    extra.vary = 'accept-encoding';
  }
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': type,
    'cache-control': 'no-store',
    ...headers,
    ...extra,
  });
  res.end(res.req.method === 'HEAD' ? undefined : out);
}

/** JSON, indented for people reading it with curl; large answers (the rules of a big installation) compact. */
const json = (res: ServerResponse, status: number, value: unknown, headers?: Record<string, string>) => {
  const compact = JSON.stringify(value);
  const text = compact.length > 65_536 ? compact : JSON.stringify(value, null, 2);
  send(res, status, `${text}\n`, 'application/json; charset=utf-8', headers);
};

function sendAsset(req: IncomingMessage, res: ServerResponse, asset: Asset): void {
  if (req.headers['if-none-match'] === asset.etag) {
    res.writeHead(304, { ...SECURITY_HEADERS, etag: asset.etag, 'cache-control': 'no-cache' });
    res.end();
    return;
  }
  send(res, 200, asset.body, asset.type, { etag: asset.etag, 'cache-control': 'no-cache' }, () => {
    asset.gzipped ??= gzipSync(asset.body, { level: 9 });
    return asset.gzipped;
  });
}

export async function startHttpServer(
  obs: Observability,
  port: number,
  host = '0.0.0.0',
  options: HttpServerOptions = {},
): Promise<HttpServer> {
  const now = options.now ?? Date.now;
  const assets: ConsoleAssets = await loadConsoleAssets();
  let api: ConsoleApi | undefined;
  let source: ConsoleSource | undefined;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (path.startsWith('/api/') && api && (await api.handle(req, res, url, (s, v, h) => json(res, s, v, h))))
      return;
    if (!isSafeMethod(req.method)) return json(res, 405, { error: 'only GET', code: 'METHOD' });
    switch (path) {
      case '/metrics':
        return send(res, 200, await obs.registry.metrics(), obs.registry.contentType);
      case '/healthz': {
        const h = obs.healthy();
        return json(res, h.ok ? 200 : 503, { status: h.ok ? 'ok' : 'stopping', phase: h.phase });
      }
      case '/readyz': {
        const r = await obs.ready();
        return json(res, r.ok ? 200 : 503, { status: r.ok ? 'ready' : 'not ready', reasons: r.reasons });
      }
      case '/api/rules':
        // before the console is attached (esalert is starting): the status the app reported so far
        return json(res, 200, obs.snapshot());
      case '/':
      case '/index.html':
        return sendAsset(req, res, assets.page());
      default: {
        if (path.startsWith('/assets/')) {
          const asset = assets.get(path);
          if (asset) return sendAsset(req, res, asset);
        }
        if (path.startsWith('/api/'))
          return json(res, api ? 404 : 503, {
            error: api
              ? `no such endpoint: ${path}`
              : 'esalert is starting: the API answers once the rules are loaded',
            code: api ? 'NOT_FOUND' : 'STARTING',
          });
        return json(res, 404, { error: `no such endpoint: ${path}`, code: 'NOT_FOUND' });
      }
    }
  }

  // not `import { createServer } from 'node:http'`: an ES import of node:http loads Node's bundled
  // undici (its WebSocket getters), about 10 MB (docs/deploy.md, Memory)
  const server: Server = process.getBuiltinModule('node:http').createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) {
        const message = err instanceof Error ? err.message : String(err);
        json(res, 500, { error: redactText(message, source?.secrets() ?? []), code: 'INTERNAL' });
      } else res.end();
    });
  });
  server.keepAliveTimeout = 5000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 180_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return {
    url: `http://${shownHost}:${addr.port}`,
    attachConsole(o) {
      source = o.source;
      api = createConsoleApi({ source: o.source, auth: createAuthenticator(o.auth), now });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
