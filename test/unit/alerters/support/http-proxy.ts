/**
 * A forwarding HTTP proxy on 127.0.0.1 for proxy options (dingtalk_proxy, ...): it records what
 * each request asked for, with its Proxy-Authorization header, and passes it on (plain requests
 * and CONNECT tunnels).
 */
import { createServer, request as httpRequest } from 'node:http';
import { type AddressInfo, connect } from 'node:net';

export interface ProxySeen {
  kind: 'forward' | 'connect';
  target: string;
  proxyAuthorization: string | undefined;
}

export interface HttpProxy {
  url: string;
  seen: ProxySeen[];
  close(): Promise<void>;
}

export async function startHttpProxy(): Promise<HttpProxy> {
  const seen: ProxySeen[] = [];
  const server = createServer((req, res) => {
    seen.push({
      kind: 'forward',
      target: req.url ?? '',
      proxyAuthorization: req.headers['proxy-authorization'],
    });
    const u = new URL(req.url ?? '');
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    const upstream = httpRequest(
      { host: u.hostname, port: u.port, path: u.pathname + u.search, method: req.method, headers },
      (reply) => {
        res.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connect', (req, socket, head) => {
    seen.push({
      kind: 'connect',
      target: req.url ?? '',
      proxyAuthorization: req.headers['proxy-authorization'],
    });
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
