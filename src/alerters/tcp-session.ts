/**
 * A short conversation over TCP (optionally TLS) for the alerters that speak a socket protocol
 * (Zabbix sender, GELF over TCP, STOMP): connect, write, read framed replies, close. The whole
 * conversation is bounded by one timeout and ends at once when the signal aborts; replies are
 * read into a buffer that may not grow past a cap. Failures come back as TcpFailure, marked
 * retryable (refused, reset, closed early, timed out, aborted) or permanent (TLS trouble, a reply
 * that is too large).
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { errorMessage } from '../errors/esalert-error.ts';
import { HttpFailure } from './http.ts';

export interface TcpTarget {
  host: string;
  port: number;
  /** TLS settings, when the connection is encrypted. */
  tls?: ConnectionOptions;
  timeoutMs: number;
  /** Largest reply kept in memory (default 1 MiB). */
  maxReplyBytes?: number;
}

/** A failed conversation; as HttpFailure (the alerters' network failure), retryable or not. */
export class TcpFailure extends HttpFailure {}

/** Reads one frame from the front of the buffer: its value and byte length, or undefined for "need more". */
export type FrameParser<T> = (buffer: Buffer) => { value: T; length: number } | undefined;

export interface TcpSession {
  write(data: Buffer | string): Promise<void>;
  /** The next frame; fails when the peer closes first. */
  read<T>(parse: FrameParser<T>): Promise<T>;
}

const CERTIFICATE_TROUBLE =
  /certificate|self[- ]signed|CERT_|unable to verify|wrong version number|SSL|TLS|EPROTO/i;

function describe(err: unknown, where: string): TcpFailure {
  const e = err as NodeJS.ErrnoException;
  const message = errorMessage(err);
  if (e?.code === 'ENOTFOUND' || e?.code === 'EAI_AGAIN')
    return new TcpFailure(`${where}: cannot resolve the host name (${e.code})`, true);
  if (CERTIFICATE_TROUBLE.test(message) || CERTIFICATE_TROUBLE.test(e?.code ?? ''))
    return new TcpFailure(`${where}: TLS failed (${message}); check the CA certificate option`, false);
  return new TcpFailure(`${where}: ${message}`, true);
}

/** Runs `talk` over a fresh connection and closes it afterwards, whatever happens. */
export async function withTcpSession<T>(
  target: TcpTarget,
  signal: AbortSignal,
  talk: (session: TcpSession) => Promise<T>,
): Promise<T> {
  const where = `${target.host}:${target.port}`;
  if (signal.aborted) throw new TcpFailure(`${where}: aborted`, true);
  const max = target.maxReplyBytes ?? 1 << 20;
  const socket: Socket = target.tls
    ? tlsConnect({ host: target.host, port: target.port, servername: target.host, ...target.tls })
    : netConnect({ host: target.host, port: target.port });
  let buffer = Buffer.alloc(0);
  let failure: TcpFailure | undefined;
  let ended = false;
  let wake: (() => void) | undefined;
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const fail = (f: TcpFailure) => {
    failure ??= f;
    socket.destroy();
    poke();
  };
  const onAbort = () => fail(new TcpFailure(`${where}: aborted`, true));
  signal.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(
    () => fail(new TcpFailure(`${where}: no answer within ${target.timeoutMs} ms`, true)),
    target.timeoutMs,
  );
  socket.on('data', (chunk: Buffer) => {
    if (buffer.length + chunk.length > max) {
      fail(new TcpFailure(`${where}: the reply is larger than ${max} bytes`, false));
      return;
    }
    buffer = Buffer.concat([buffer, chunk]);
    poke();
  });
  socket.on('error', (err) => fail(describe(err, where)));
  socket.on('close', () => {
    ended = true;
    poke();
  });
  const connected = new Promise<void>((resolve) => {
    socket.once(target.tls ? 'secureConnect' : 'connect', () => resolve());
    wake = resolve;
  });
  const check = () => {
    if (failure) throw failure;
  };
  const session: TcpSession = {
    async write(data) {
      check();
      await new Promise<void>((resolve, reject) => {
        socket.write(data, (err) => (err ? reject(failure ?? describe(err, where)) : resolve()));
      });
      check();
    },
    async read<F>(parse: FrameParser<F>): Promise<F> {
      for (;;) {
        check();
        const frame = parse(buffer);
        if (frame) {
          buffer = buffer.subarray(frame.length);
          return frame.value;
        }
        if (ended) throw new TcpFailure(`${where}: the connection closed before a complete reply`, true);
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
  try {
    await connected;
    check();
    return await talk(session);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
    if (failure) socket.destroy();
    else {
      // a graceful close flushes what was written; a peer that never closes its side is cut off
      socket.end();
      setTimeout(() => socket.destroy(), 1000).unref();
    }
  }
}
