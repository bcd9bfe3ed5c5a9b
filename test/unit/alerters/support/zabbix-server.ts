/**
 * A Zabbix server's trapper on 127.0.0.1: reads sender packets ("ZBXD", flags 0x01, 32-bit
 * little-endian data length and reserved field, JSON), checks the "sender data" request, and
 * answers as Zabbix does: {"response":"success","info":"processed: n; failed: n; total: n; ..."},
 * counting values for unknown host/key pairs as failed.
 */
import { listenTcp } from './tcp-listener.ts';

export interface SenderValue {
  host: string;
  key: string;
  value: string;
  clock?: number;
  ns?: number;
}

export interface ZabbixServer {
  port: number;
  /** Sender requests that were well formed. */
  requests: SenderValue[][];
  problems: string[];
  /** Trapper items that exist, as "host/key". */
  items: Set<string>;
  /** The next connection: closed without an answer, answered late, or refused outright. */
  next: 'close' | 'slow' | undefined;
  /** Count every value of the next request as failed (as for a host without the item). */
  failNext: boolean;
  delayMs: number;
  close(): Promise<void>;
}

function packet(json: string): Buffer {
  const data = Buffer.from(json, 'utf8');
  const head = Buffer.alloc(13);
  head.write('ZBXD', 0, 'latin1');
  head[4] = 0x01;
  head.writeUInt32LE(data.length, 5);
  return Buffer.concat([head, data]);
}

/** What is wrong with a sender request, or undefined. */
function checkRequest(doc: unknown): string | undefined {
  const d = doc as { request?: unknown; data?: unknown };
  if (d?.request !== 'sender data') return `request is ${JSON.stringify(d?.request)}, not "sender data"`;
  if (!Array.isArray(d.data) || d.data.length === 0) return 'data must be a non-empty list';
  for (const item of d.data as Record<string, unknown>[]) {
    if (typeof item.host !== 'string' || !item.host) return 'each value needs a host';
    if (typeof item.key !== 'string' || !item.key) return 'each value needs a key';
    if (typeof item.value !== 'string') return 'value must be a string';
    if (item.clock !== undefined && !Number.isInteger(item.clock)) return 'clock must be whole seconds';
  }
  return undefined;
}

export async function startZabbixServer(items: string[]): Promise<ZabbixServer> {
  const z: ZabbixServer = {
    port: 0,
    requests: [],
    problems: [],
    items: new Set(items),
    next: undefined,
    failNext: false,
    delayMs: 1000,
    close: () => listener.close(),
  };
  const listener = await listenTcp((socket) => {
    const mode = z.next;
    z.next = undefined;
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 13) return;
      if (buf.toString('latin1', 0, 4) !== 'ZBXD' || buf[4] !== 0x01) {
        z.problems.push('not a ZBXD\\1 header');
        socket.destroy();
        return;
      }
      const length = buf.readUInt32LE(5);
      if (buf.readUInt32LE(9) !== 0) z.problems.push('reserved field not zero for an uncompressed packet');
      if (buf.length < 13 + length) return;
      if (buf.length > 13 + length) z.problems.push('bytes after the packet');
      if (mode === 'close') {
        socket.destroy();
        return;
      }
      let doc: unknown;
      try {
        doc = JSON.parse(buf.toString('utf8', 13, 13 + length));
      } catch {
        z.problems.push('data is not JSON');
        socket.end(packet('{"response":"failed","info":"cannot parse JSON"}'));
        return;
      }
      const problem = checkRequest(doc);
      const answer = () => {
        if (socket.destroyed) return;
        if (problem) {
          z.problems.push(problem);
          socket.end(packet(JSON.stringify({ response: 'failed', info: problem })));
          return;
        }
        const values = (doc as { data: SenderValue[] }).data;
        z.requests.push(values);
        const failed = z.failNext
          ? values.length
          : values.filter((v) => !z.items.has(`${v.host}/${v.key}`)).length;
        z.failNext = false;
        const info = `processed: ${values.length - failed}; failed: ${failed}; total: ${values.length}; seconds spent: 0.000055`;
        socket.end(packet(JSON.stringify({ response: 'success', info })));
      };
      if (mode === 'slow') setTimeout(answer, z.delayMs);
      else answer();
    });
  });
  z.port = listener.port;
  return z;
}
