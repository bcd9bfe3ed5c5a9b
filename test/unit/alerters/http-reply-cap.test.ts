/**
 * Replies are read up to MAX_REPLY_BYTES: a receiver that streams an endless error page costs
 * 64 KB, and the connection is dropped instead of read to its end.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpSend, MAX_REPLY_BYTES } from '../../../src/alerters/http.ts';
import { postAlerter } from '../../../src/alerters/post.ts';
import { alertContent, captureLog, deps, signal } from './support/alert-content.ts';

const TOTAL = 200 * 1024 * 1024;
let url: string;
let written = 0;
let closedEarly = false;
const server = createServer((req, res) => {
  req.resume();
  res.writeHead(req.url === '/small' ? 400 : 500, { 'content-type': 'text/plain' });
  if (req.url === '/small') return res.end('short reason');
  const chunk = Buffer.alloc(64 * 1024, 'x');
  const pump = () => {
    while (written < TOTAL) {
      written += chunk.length;
      if (!res.write(chunk)) return res.once('drain', pump);
    }
    res.end();
  };
  res.on('close', () => (closedEarly = written < TOTAL));
  pump();
});

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('reply size', () => {
  it('a 200 MB reply is read up to the cap, marked, and the connection dropped', async () => {
    const r = await httpSend(`${url}/big`, '{}', { timeoutMs: 30_000 }, signal());
    expect(r.status).toBe(500);
    expect(r.body).toBe(`${'x'.repeat(MAX_REPLY_BYTES)}…(reply cut at ${MAX_REPLY_BYTES} bytes)`);
    await new Promise((res) => setTimeout(res, 100));
    expect(closedEarly).toBe(true);
    expect(written).toBeLessThan(TOTAL / 4);
  });

  it('a short reply comes whole; the reason of a failed post keeps 300 characters of it', async () => {
    expect((await httpSend(`${url}/small`, '{}', { timeoutMs: 5000 }, signal())).body).toBe('short reason');
    const rule = { name: 'r', type: 'any', http_post_url: `${url}/big` };
    const outcome = await postAlerter
      .create(rule, deps(captureLog()))
      .send(alertContent(rule, [{ m: 1 }]), signal());
    expect(outcome).toMatchObject({ ok: false, retryable: true });
    if (!outcome.ok) expect(outcome.reason.length).toBeLessThan(400);
  });
});
