/**
 * TLS of the HTTP alerters against a real HTTPS receiver on 127.0.0.1 with a certificate from a
 * throwaway CA (openssl): verification is on unless *_ignore_ssl_errors says otherwise (which
 * warns), `*_ca_certs: false` or `true` means "the system's CAs" (not "no verification", as in
 * ElastAlert 2), and a CA file given there is used.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postAlerter } from '../../../src/alerters/post.ts';
import { webhookAlerter } from '../../../src/alerters/webhook.ts';
import type { Doc } from '../../../src/model/lookup.ts';
import { type Certificates, makeCertificates } from '../../integration/support/es-gateway.ts';
import { type Receiver, startReceiver } from '../../integration/support/http-receiver.ts';
import { alertContent, captureLog, deps, signal } from './support/alert-content.ts';

let certs: Certificates;
let rx: Receiver;

beforeAll(async () => {
  certs = makeCertificates();
  rx = await startReceiver(
    { status: 200, body: 'ok' },
    { tls: { key: certs.serverKey, cert: certs.serverCert } },
  );
});
afterAll(() => rx.close());

const MATCH = { '@timestamp': '2024-05-14T03:21:09Z', message: 'm' };

async function send(kind: 'post' | 'webhook', options: Doc) {
  const log = captureLog();
  const rule: Doc =
    kind === 'post'
      ? { name: 'r', type: 'any', http_post_url: `${rx.url}/post`, ...options }
      : { name: 'r', type: 'any', webhook_url: `${rx.url}/hook`, ...options };
  const alerter = (kind === 'post' ? postAlerter : webhookAlerter).create(rule, deps(log));
  const before = rx.received.length;
  const outcome = await alerter.send(alertContent(rule, [MATCH]), signal());
  return { outcome, arrived: rx.received.length - before, log: log.text() };
}

describe.each([
  ['post', 'http_post'],
  ['webhook', 'webhook'],
] as const)('%s', (kind, prefix) => {
  it('verifies the certificate by default: an unknown CA is a permanent failure that names the fix', async () => {
    const { outcome, arrived } = await send(kind, {});
    expect(arrived).toBe(0);
    expect(outcome).toMatchObject({ ok: false, retryable: false });
    if (!outcome.ok) expect(outcome.reason).toMatch(/TLS certificate is not trusted .*_ca_certs/);
  });

  it.each([false, true])(`${prefix}_ca_certs: %s still verifies`, async (value) => {
    const { outcome, arrived } = await send(kind, { [`${prefix}_ca_certs`]: value });
    expect(arrived).toBe(0);
    expect(outcome).toMatchObject({ ok: false, retryable: false });
  });

  it(`${prefix}_ca_certs naming the CA file delivers`, async () => {
    const { outcome, arrived, log } = await send(kind, { [`${prefix}_ca_certs`]: certs.ca });
    expect(outcome).toEqual({ ok: true });
    expect(arrived).toBe(1);
    expect(log).not.toContain('not verified');
  });

  it(`${prefix}_ignore_ssl_errors turns the check off, and warns`, async () => {
    const { outcome, arrived, log } = await send(kind, { [`${prefix}_ignore_ssl_errors`]: true });
    expect(outcome).toEqual({ ok: true });
    expect(arrived).toBe(1);
    expect(log).toMatch(
      new RegExp(`${prefix}_ignore_ssl_errors is true: the receiver's TLS certificate is not verified`),
    );
  });

  it(`with a CA file, ${prefix}_ignore_ssl_errors does not switch the check off (as in ElastAlert 2)`, async () => {
    const other = makeCertificates();
    const { outcome, arrived, log } = await send(kind, {
      [`${prefix}_ca_certs`]: other.ca,
      [`${prefix}_ignore_ssl_errors`]: true,
    });
    expect(arrived).toBe(0);
    expect(outcome).toMatchObject({ ok: false, retryable: false });
    expect(log).not.toContain('not verified');
  });
});
