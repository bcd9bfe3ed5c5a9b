/**
 * Graylog GELF inputs on 127.0.0.1: TCP (null-byte delimited frames) and UDP (datagrams that may
 * be gzip- or zlib-compressed and chunked: magic 0x1e 0x0f, 8-byte id, sequence number and count).
 * Every message is checked against the GELF 1.1 specification before it is kept.
 */
import { createSocket } from 'node:dgram';
import { listenTcp } from './tcp-listener.ts';
import { gunzipSync, inflateSync } from 'node:zlib';

/** What is wrong with a GELF 1.1 message, or undefined. */
export function checkGelf(doc: unknown): string | undefined {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return 'not a JSON object';
  const d = doc as Record<string, unknown>;
  if (d.version !== '1.1') return `version is ${JSON.stringify(d.version)}, not "1.1"`;
  if (typeof d.host !== 'string' || !d.host) return 'host must be a non-empty string';
  if (typeof d.short_message !== 'string' || !d.short_message)
    return 'short_message must be a non-empty string';
  if (
    d.level !== undefined &&
    !(Number.isInteger(d.level) && (d.level as number) >= 0 && (d.level as number) <= 7)
  )
    return 'level must be a syslog level 0-7';
  if (d.timestamp !== undefined && typeof d.timestamp !== 'number') return 'timestamp must be a number';
  for (const key of Object.keys(d)) {
    if (
      [
        'version',
        'host',
        'short_message',
        'full_message',
        'timestamp',
        'level',
        'facility',
        'line',
        'file',
      ].includes(key)
    )
      continue;
    if (!/^_[\w.-]+$/.test(key)) return `field "${key}" is neither a GELF field nor an additional _field`;
    if (key === '_id') return '_id is not allowed';
  }
  return undefined;
}

export interface GelfListener {
  port: number;
  messages: Record<string, unknown>[];
  problems: string[];
  /** How each UDP message arrived: "gzip", "zlib" or "plain", and in how many chunks. */
  arrivals: { compression: string; chunks: number }[];
  close(): Promise<void>;
}

function keep(l: GelfListener, text: string) {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    l.problems.push('not JSON');
    return;
  }
  const problem = checkGelf(doc);
  if (problem) l.problems.push(problem);
  else l.messages.push(doc as Record<string, unknown>);
}

export async function startGelfTcp(): Promise<GelfListener & { stall: boolean }> {
  const l = {
    port: 0,
    messages: [],
    problems: [],
    arrivals: [],
    stall: false,
    close: () => listener.close(),
  } as GelfListener & { stall: boolean };
  const listener = await listenTcp((socket) => {
    // a stalled input does not read: the sender's writes back up until its timeout
    if (l.stall) socket.pause();
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      let nul: number;
      while ((nul = buf.indexOf(0)) >= 0) {
        keep(l, buf.toString('utf8', 0, nul));
        buf = buf.subarray(nul + 1);
      }
    });
    socket.on('end', () => {
      if (buf.length) l.problems.push('a frame without its terminating null byte');
    });
  });
  l.port = listener.port;
  return l;
}

function decompress(data: Buffer): { text: string; compression: string } {
  if (data[0] === 0x1f && data[1] === 0x8b)
    return { text: gunzipSync(data).toString('utf8'), compression: 'gzip' };
  if (data[0] === 0x78) return { text: inflateSync(data).toString('utf8'), compression: 'zlib' };
  return { text: data.toString('utf8'), compression: 'plain' };
}

export async function startGelfUdp(): Promise<GelfListener> {
  const socket = createSocket('udp4');
  const pending = new Map<string, { count: number; parts: Map<number, Buffer> }>();
  const l: GelfListener = {
    port: 0,
    messages: [],
    problems: [],
    arrivals: [],
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
  socket.on('message', (d: Buffer) => {
    if (d[0] === 0x1e && d[1] === 0x0f) {
      if (d.length < 12) return void l.problems.push('chunk shorter than its header');
      const id = d.toString('hex', 2, 10);
      const seq = d[10]!;
      const count = d[11]!;
      if (count > 128 || seq >= count) return void l.problems.push(`bad chunk ${seq}/${count}`);
      const entry = pending.get(id) ?? { count, parts: new Map<number, Buffer>() };
      if (entry.count !== count) return void l.problems.push('chunk count changed within a message');
      entry.parts.set(seq, d.subarray(12));
      pending.set(id, entry);
      if (entry.parts.size < count) return;
      pending.delete(id);
      const whole = Buffer.concat(Array.from({ length: count }, (_, i) => entry.parts.get(i)!));
      const { text, compression } = decompress(whole);
      l.arrivals.push({ compression, chunks: count });
      keep(l, text);
      return;
    }
    const { text, compression } = decompress(d);
    l.arrivals.push({ compression, chunks: 1 });
    keep(l, text);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  l.port = socket.address().port;
  return l;
}
