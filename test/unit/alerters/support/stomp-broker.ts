/**
 * A small STOMP 1.2 broker on 127.0.0.1: answers CONNECT (or STOMP) with CONNECTED when the
 * login and passcode match, checks each SEND frame (destination, content-length against the body,
 * header escaping), answers receipts, and keeps the messages. It can be told to refuse a SEND
 * with an ERROR frame, to hang up after CONNECT, or to answer late.
 */
import { listenTcp } from './tcp-listener.ts';

export interface BrokerMessage {
  destination: string;
  headers: Record<string, string>;
  body: string;
}

export interface StompBroker {
  port: number;
  messages: BrokerMessage[];
  problems: string[];
  /** What the CONNECT frames carried (without the passcode). */
  connects: Record<string, string>[];
  next: 'error' | 'hangup' | 'slow' | undefined;
  delayMs: number;
  close(): Promise<void>;
}

const unescape = (v: string) =>
  v.replace(/\\(.)/g, (_, c: string) => ({ n: '\n', r: '\r', c: ':', '\\': '\\' })[c] ?? `\\${c}`);

function frame(command: string, headers: Record<string, string>, body = ''): string {
  return `${command}\n${Object.entries(headers)
    .map(([k, v]) => `${k}:${v}`)
    .join('\n')}\n\n${body}\0`;
}

export async function startStompBroker(login: string, passcode: string): Promise<StompBroker> {
  const b: StompBroker = {
    port: 0,
    messages: [],
    problems: [],
    connects: [],
    next: undefined,
    delayMs: 1000,
    close: () => listener.close(),
  };
  const listener = await listenTcp((socket) => {
    const mode = b.next;
    b.next = undefined;
    let connected = false;
    let buf = Buffer.alloc(0);
    const reply = (text: string) => {
      if (!socket.destroyed) socket.write(text);
    };
    const handle = (command: string, headers: Record<string, string>, body: string) => {
      if (!connected) {
        if (command !== 'CONNECT' && command !== 'STOMP') {
          b.problems.push(`first frame is ${command}, not CONNECT`);
          return socket.destroy();
        }
        const { passcode: given, ...shown } = headers;
        b.connects.push(shown);
        if (!headers['accept-version']?.split(',').includes('1.2'))
          b.problems.push('CONNECT does not accept version 1.2');
        if (!headers.host) b.problems.push('CONNECT has no host header');
        if (headers.login !== login || given !== passcode) {
          reply(frame('ERROR', { message: 'Authentication failed' }, 'bad login or passcode'));
          return socket.end();
        }
        if (mode === 'hangup') return socket.destroy();
        connected = true;
        const answer = () =>
          reply(frame('CONNECTED', { version: '1.2', 'heart-beat': '0,0', server: 'test-broker/1.0' }));
        return mode === 'slow' ? void setTimeout(answer, b.delayMs) : answer();
      }
      if (command === 'SEND') {
        if (!headers.destination) {
          b.problems.push('SEND without destination');
          return reply(frame('ERROR', { message: 'SEND needs a destination' }));
        }
        if (mode === 'error')
          return reply(
            frame('ERROR', {
              message: `not allowed to send to ${headers.destination} as ${login}/${passcode}`,
              ...(headers.receipt ? { 'receipt-id': headers.receipt } : {}),
            }),
          );
        try {
          JSON.parse(body);
        } catch {
          b.problems.push('SEND body is not JSON');
        }
        b.messages.push({ destination: headers.destination, headers, body });
        if (headers.receipt) reply(frame('RECEIPT', { 'receipt-id': headers.receipt }));
        return;
      }
      if (command === 'DISCONNECT') {
        if (headers.receipt) reply(frame('RECEIPT', { 'receipt-id': headers.receipt }));
        return socket.end();
      }
      b.problems.push(`unexpected frame ${command}`);
    };
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        while (buf.length && (buf[0] === 0x0a || buf[0] === 0x0d)) buf = buf.subarray(1);
        const headEnd = buf.indexOf('\n\n');
        if (headEnd < 0) return;
        const [command = '', ...lines] = buf.toString('utf8', 0, headEnd).split('\n');
        const headers: Record<string, string> = {};
        for (const line of lines) {
          const i = line.indexOf(':');
          if (i < 0) {
            b.problems.push(`header line without a colon: ${line}`);
            continue;
          }
          const raw = [line.slice(0, i), line.slice(i + 1)];
          const [k, v] = command === 'CONNECT' || command === 'STOMP' ? raw : raw.map(unescape);
          if (!(k! in headers)) headers[k!] = v!;
        }
        const start = headEnd + 2;
        let end: number;
        if (headers['content-length'] !== undefined) {
          end = start + Number(headers['content-length']);
          if (buf.length <= end) return;
          if (buf[end] !== 0) {
            b.problems.push('content-length does not end at the NUL byte');
            return void socket.destroy();
          }
        } else {
          end = buf.indexOf(0, start);
          if (end < 0) return;
        }
        const body = buf.toString('utf8', start, end);
        buf = buf.subarray(end + 1);
        handle(command, headers, body);
      }
    });
  });
  b.port = listener.port;
  return b;
}
