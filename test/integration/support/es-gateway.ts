/**
 * A gateway in front of the test Elasticsearch, listening on 127.0.0.1: the kind of proxy users put
 * before their cluster. It can demand an exact Authorization header (to check what our client
 * sends for API keys and bearer tokens, which the minimal test distribution cannot issue), serve
 * under a URL prefix, and speak TLS with a certificate from a throwaway CA (optionally requiring a
 * client certificate). Requests that pass are forwarded to Elasticsearch unchanged otherwise.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
  request as httpRequest,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';

export interface GatewayOptions {
  target: string;
  requireAuthorization?: string;
  prefix?: string;
  tls?: { requestClientCert: boolean };
  /** Fails the request with this HTTP status when it returns one (n counts requests from 1). */
  fail?: (n: number, method: string, path: string) => number | undefined;
}

export interface Gateway {
  port: number;
  seenAuthorization: (string | undefined)[];
  certs?: Certificates;
  close(): Promise<void>;
}

export interface Certificates {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
export function makeCertificates(): Certificates {
  const dir = mkdtempSync(join(tmpdir(), 'esalert-certs-'));
  const f = (n: string) => join(dir, n);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=esalert test CA',
  );
  for (const [name, cn, ext] of [
    ['server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1'],
    ['client', 'esalert', 'extendedKeyUsage=clientAuth'],
  ] as const) {
    writeFileSync(f(`${name}.ext`), `${ext}\n`);
    ssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      f(`${name}.key`),
      '-out',
      f(`${name}.csr`),
      '-subj',
      `/CN=${cn}`,
    );
    ssl(
      'x509',
      '-req',
      '-in',
      f(`${name}.csr`),
      '-CA',
      f('ca.pem'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-out',
      f(`${name}.pem`),
      '-days',
      '2',
      '-extfile',
      f(`${name}.ext`),
    );
  }
  return {
    dir,
    ca: f('ca.pem'),
    serverCert: f('server.pem'),
    serverKey: f('server.key'),
    clientCert: f('client.pem'),
    clientKey: f('client.key'),
  };
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const target = new URL(options.target);
  const seenAuthorization: (string | undefined)[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    seenAuthorization.push(req.headers.authorization);
    const failStatus = options.fail?.(seenAuthorization.length, req.method ?? '', req.url ?? '');
    if (failStatus !== undefined) {
      req.resume();
      res.writeHead(failStatus, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' });
      res.end(
        JSON.stringify({
          error: { type: 'gateway_failure', reason: 'injected by the test gateway' },
          status: failStatus,
        }),
      );
      return;
    }
    if (
      options.requireAuthorization !== undefined &&
      req.headers.authorization !== options.requireAuthorization
    ) {
      res.writeHead(401, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' });
      res.end(
        JSON.stringify({
          error: { type: 'security_exception', reason: 'gateway: missing or wrong credentials' },
          status: 401,
        }),
      );
      return;
    }
    if (options.tls?.requestClientCert && !(req.socket as TLSSocket).authorized) {
      res.writeHead(403).end();
      return;
    }
    let path = req.url ?? '/';
    if (options.prefix) {
      if (!path.startsWith(`/${options.prefix}`)) {
        res.writeHead(404).end();
        return;
      }
      path = path.slice(options.prefix.length + 1) || '/';
    }
    const headers = { ...req.headers, host: target.host };
    delete headers.authorization;
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path, headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  };
  let certs: Certificates | undefined;
  const server = options.tls
    ? (() => {
        certs = makeCertificates();
        return createHttpsServer(
          {
            key: readFileSync(certs.serverKey),
            cert: readFileSync(certs.serverCert),
            ca: readFileSync(certs.ca),
            requestCert: options.tls.requestClientCert,
            rejectUnauthorized: false,
          },
          handler,
        );
      })()
    : createHttpServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    seenAuthorization,
    ...(certs ? { certs } : {}),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
        if (certs) rmSync(certs.dir, { recursive: true, force: true });
      }),
  };
}
