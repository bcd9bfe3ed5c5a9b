/**
 * GELF over UDP: the message compressed (gzip by default, or zlib, or not at all) and, when it
 * does not fit one datagram, split into chunks (magic 0x1e 0x0f, an 8-byte message id, sequence
 * number and count; at most 128 chunks).
 */
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { isIP } from 'node:net';
import { deflateSync, gzipSync } from 'node:zlib';
import { TcpFailure } from './tcp-session.ts';

export type GelfCompression = 'gzip' | 'zlib' | 'none';

/** Datagrams stay below a common path MTU, so they are not fragmented on the way. */
export const GELF_CHUNK_BYTES = 1420;
const CHUNK_HEADER = 12;
const MAX_CHUNKS = 128;

/** The datagrams that carry one GELF message. */
export function gelfDatagrams(
  json: string,
  compression: GelfCompression,
  chunkBytes = GELF_CHUNK_BYTES,
): Buffer[] {
  const raw = Buffer.from(json, 'utf8');
  const data = compression === 'gzip' ? gzipSync(raw) : compression === 'zlib' ? deflateSync(raw) : raw;
  if (data.length <= chunkBytes) return [data];
  const size = chunkBytes - CHUNK_HEADER;
  const count = Math.ceil(data.length / size);
  if (count > MAX_CHUNKS)
    throw new TcpFailure(
      `the GELF message needs ${count} UDP chunks, more than the 128 allowed: use gelf_type tcp or http, or fewer gelf_payload fields`,
      false,
    );
  const id = randomBytes(8);
  return Array.from({ length: count }, (_, i) =>
    Buffer.concat([
      Buffer.from([0x1e, 0x0f]),
      id,
      Buffer.from([i, count]),
      data.subarray(i * size, (i + 1) * size),
    ]),
  );
}

/** Sends the datagrams; bounded by the timeout, stopped by the signal. */
export async function sendGelfUdp(
  host: string,
  port: number,
  datagrams: Buffer[],
  timeoutMs: number,
  signal: AbortSignal,
): Promise<void> {
  const where = `${host}:${port}`;
  if (signal.aborted) throw new TcpFailure(`${where}: aborted`, true);
  const socket = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
  const stop = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
  try {
    await new Promise<void>((resolve, reject) => {
      const onStop = () =>
        reject(
          new TcpFailure(
            signal.aborted ? `${where}: aborted` : `${where}: not sent within ${timeoutMs} ms`,
            true,
          ),
        );
      stop.addEventListener('abort', onStop, { once: true });
      socket.once('error', (err) => reject(new TcpFailure(`${where}: ${err.message}`, true)));
      let left = datagrams.length;
      for (const d of datagrams) {
        socket.send(d, port, host, (err) => {
          if (err) reject(new TcpFailure(`${where}: ${err.message}`, true));
          else if (--left === 0) resolve();
        });
      }
    });
  } finally {
    socket.close();
  }
}
