/**
 * The one small HTTP server of `esalert run --http-port`: /metrics (Prometheus), /healthz
 * (liveness), /readyz (readiness: rules loaded, Elasticsearch answering) and /api/rules (each
 * rule's load status, last run, next run and last alert). Read-only; binds to the given host.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Observability } from './observability.ts';

export interface HttpServer {
  url: string;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: string, type: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

const json = (res: ServerResponse, status: number, value: unknown) =>
  send(res, status, `${JSON.stringify(value, null, 2)}\n`, 'application/json; charset=utf-8');

async function handle(obs: Observability, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'only GET' });
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
      return json(res, 200, obs.snapshot());
    case '/':
      return json(res, 200, { endpoints: ['/metrics', '/healthz', '/readyz', '/api/rules'] });
    default:
      return json(res, 404, { error: `no such endpoint: ${path}` });
  }
}

export async function startHttpServer(
  obs: Observability,
  port: number,
  host = '0.0.0.0',
): Promise<HttpServer> {
  const server: Server = createServer((req, res) => {
    handle(obs, req, res).catch((err: unknown) => {
      if (!res.headersSent) json(res, 500, { error: (err as Error).message });
      else res.end();
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return {
    url: `http://${shownHost}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
