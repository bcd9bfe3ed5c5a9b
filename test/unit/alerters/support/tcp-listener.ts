/** A TCP server on 127.0.0.1 for the protocol receivers: a free port, and a close that drops every connection. */
import { createServer, type AddressInfo, type Socket } from 'node:net';

export interface TcpListener {
  port: number;
  close(): Promise<void>;
}

export async function listenTcp(onConnection: (socket: Socket) => void): Promise<TcpListener> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
