/**
 * The contract every built-in alerter keeps (Alertmanager's shared notifier test, for us): against
 * a real receiver on 127.0.0.1 each one
 * - delivers, and what arrived matches the stored snapshot;
 * - reports a transient failure as retryable and a permanent one as not;
 * - gives up at its timeout, and at once when the signal aborts (before or during the request);
 * - never shows a secret (token, signing secret, password, key) in info(), a reason, or the log,
 *   even when the receiver echoes it back.
 * A new alerter without a harness here fails the suite, and so does one missing from docs/alerters.md.
 */
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alerter, SendOutcome } from '../../../src/alerters/alerter.ts';
import { BUILTIN_ALERTERS } from '../../../src/alerters/registry.ts';
import type { Doc } from '../../../src/model/lookup.ts';
import { PLUGIN_HARNESSES } from './harnesses/plugins.ts';
import { alertContent, type CapturedLog, captureLog, deps } from './support/alert-content.ts';
import { type SmtpReceiver, startSmtpReceiver } from './support/smtp-receiver.ts';
import { CHAT_HARNESSES } from './harnesses/chat.ts';
import {
  type Harness,
  type HarnessFactory,
  httpFailures,
  httpHarness,
  SLOW_MS,
  TIMEOUT_S,
} from './harnesses/shared.ts';
import { PROTOCOL_HARNESSES } from './harnesses/protocol.ts';

const MATCH = {
  '@timestamp': '2024-05-14T03:21:09Z',
  event: {
    type: 'Warning',
    reason: 'BackOff',
    involvedObject: { kind: 'Pod', namespace: 'prod', name: 'api-7c9f8d6b5-x2k4p' },
    message: 'Back-off restarting failed container "api"',
  },
};
const RULE: Doc = {
  name: 'contract rule',
  type: 'any',
  alert_text: '{0}: {1} {2}',
  alert_text_args: ['event.reason', 'event.involvedObject.namespace', 'event.involvedObject.name'],
  alert_text_type: 'alert_text_only',
};

const DINGTALK_TOKEN = 'dt0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd';
const DINGTALK_SECRET = 'SECfedcba9876543210fedcba9876543210fedcba9876543210fedcba98765432';
const WECOM_KEY = '693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa';
const POST_TOKEN = 'post-token-8f7e6d5c4b3a';
const POST2_TOKEN = 'post2-token-1a2b3c4d5e6f';
const WEBHOOK_PATH_TOKEN = '0b8c1d2e-3f4a-5b6c-7d8e-9f0a1b2c3d4e';
const WEBHOOK_AUTH = 'Bearer webhook-bearer-99887766';
const SMTP_PASSWORD = 'smtp-password-correct-horse';

const HARNESSES: Record<string, HarnessFactory> = {
  ...CHAT_HARNESSES,
  ...PLUGIN_HARNESSES,
  post: () =>
    httpHarness(
      (rx) => ({
        options: {
          http_post_url: `${rx.url}/post?token=${POST_TOKEN}`,
          http_post_static_payload: { cluster: 'prod' },
        },
        timeout: { http_post_timeout: TIMEOUT_S },
        secrets: [POST_TOKEN],
      }),
      httpFailures,
    ),
  post2: () =>
    httpHarness(
      (rx) => ({
        options: {
          http_post2_url: `${rx.url}/post2?token=${POST2_TOKEN}`,
          http_post2_payload: {
            text: '{{ event.reason }} on {{ event.involvedObject.name }}: {{ event.message }}',
          },
        },
        timeout: { http_post2_timeout: TIMEOUT_S },
        secrets: [POST2_TOKEN],
      }),
      httpFailures,
    ),
  webhook: () =>
    httpHarness(
      (rx) => ({
        options: {
          webhook_url: `${rx.url}/hook/${WEBHOOK_PATH_TOKEN}`,
          webhook_headers: { Authorization: WEBHOOK_AUTH },
          webhook_body:
            '{"reason": "{{ event.reason }}", "message": "{{ event.message }}", "text": "{{ body }}"}',
        },
        timeout: { webhook_timeout: TIMEOUT_S },
        secrets: [WEBHOOK_PATH_TOKEN, WEBHOOK_AUTH],
      }),
      httpFailures,
    ),
  dingtalk: () =>
    httpHarness(
      (rx) => ({
        options: {
          dingtalk_webhook: `${rx.url}/robot/send?access_token=${DINGTALK_TOKEN}`,
          dingtalk_sign: DINGTALK_SECRET,
          dingtalk_msgtype: 'markdown',
          dingtalk_at_mobiles: ['13800001111'],
        },
        timeout: { dingtalk_timeout: TIMEOUT_S },
        secrets: [DINGTALK_TOKEN, DINGTALK_SECRET],
      }),
      {
        transient: { body: { errcode: 130101, errmsg: 'send too fast' } },
        permanent: (secret) => ({ body: { errcode: 310000, errmsg: `sign not match for ${secret}` } }),
      },
    ),
  wecom: () =>
    httpHarness(
      (rx) => ({
        options: {
          wecom_webhook: `${rx.url}/cgi-bin/webhook/send?key=${WECOM_KEY}`,
          wecom_mentioned_list: ['@all'],
        },
        timeout: { wecom_timeout: TIMEOUT_S },
        secrets: [WECOM_KEY],
      }),
      {
        transient: { body: { errcode: 45009, errmsg: 'api freq out of limit' } },
        permanent: (secret) => ({ body: { errcode: 93000, errmsg: `invalid webhook url ${secret}` } }),
      },
    ),
  email: async () => {
    const smtp: SmtpReceiver = await startSmtpReceiver({
      auth: { user: 'alerts@example.com', pass: SMTP_PASSWORD },
    });
    const ruleDir = mkdtempSync(join(tmpdir(), 'esalert-contract-'));
    writeFileSync(join(ruleDir, 'auth.yaml'), `user: alerts@example.com\npassword: ${SMTP_PASSWORD}\n`);
    return {
      options: {
        email: 'ops@example.com',
        from_addr: 'esalert@example.com',
        smtp_host: '127.0.0.1',
        smtp_port: smtp.port,
        smtp_auth_file: 'auth.yaml',
      },
      timeout: { smtp_timeout: TIMEOUT_S },
      secrets: [SMTP_PASSWORD],
      ruleDir,
      transient: () => smtp.failNext({ stage: 'data', code: 451, message: 'try again later' }),
      permanent: () =>
        smtp.failNext({ stage: 'rcpt', code: 550, message: `no such user (${SMTP_PASSWORD})` }),
      slow: () => {
        smtp.hold = true;
        setTimeout(() => {
          smtp.hold = false;
          void smtp.release();
        }, SLOW_MS);
      },
      received: () =>
        smtp.mails.map((m) => ({
          envelope: { from: m.from, to: m.to },
          user: m.user,
          subject: m.parsed.subject,
          text: m.parsed.text,
        })),
      close: () => smtp.close(),
    };
  },
  ...PROTOCOL_HARNESSES,
};

const TESTED = BUILTIN_ALERTERS.filter((d) => d.name !== 'debug');

/**
 * Alerters known to let a secret through, so the suite stays green while the leak is tracked:
 * `post` puts the receiver's reply body into its reason unredacted (http.ts httpOutcome), so a
 * server that echoes the URL's token back shows it. Remove the entry once post.ts redacts reasons;
 * `it.fails` then reminds whoever fixes it.
 */
const KNOWN_LEAKS = new Set<string>([]);

it('every built-in alerter has a contract harness and a section in docs/alerters.md', () => {
  const docs = readFileSync(join(import.meta.dirname, '../../../docs/alerters.md'), 'utf8');
  for (const d of BUILTIN_ALERTERS) {
    if (d.name !== 'debug') expect(HARNESSES, `contract harness for ${d.name}`).toHaveProperty(d.name);
    expect(docs, `docs/alerters.md section for ${d.name}`).toMatch(new RegExp(`^## .*\`${d.name}\``, 'm'));
  }
});

describe.each(TESTED.map((d) => [d.name, d] as const))('%s', (name, definition) => {
  let h: Harness;
  let log: CapturedLog;
  const reasons: string[] = [];
  const create = (extra: Doc = {}): Alerter =>
    definition.create({ ...RULE, ...h.options, ...extra }, deps(log, h.ruleDir ?? tmpdir()));
  const send = async (alerter: Alerter, signal = new AbortController().signal): Promise<SendOutcome> => {
    const outcome = await alerter.send(alertContent({ ...RULE, ...h.options }, [MATCH]), signal);
    if (!outcome.ok) reasons.push(outcome.reason);
    return outcome;
  };

  beforeAll(async () => {
    h = await HARNESSES[name]!();
    log = captureLog();
  });
  afterAll(() => h.close());

  it('delivers; what arrived matches the snapshot', async () => {
    const alerter = create();
    expect(await send(alerter)).toEqual({ ok: true });
    expect(h.received()).toMatchSnapshot();
    expect(alerter.type).toBeTruthy();
    expect(alerter.channel).toBeTruthy();
  });

  it('a transient failure is retryable', async () => {
    h.transient();
    expect(await send(create())).toMatchObject({ ok: false, retryable: true });
  });

  it('a permanent failure is not, and says why', async () => {
    h.permanent();
    const outcome = await send(create());
    expect(outcome).toMatchObject({ ok: false, retryable: false });
    if (!outcome.ok) expect(outcome.reason.length).toBeGreaterThan(10);
  });

  // The receiver answers only after SLOW_MS, so the outcome comes from the alerter's own timeout
  // or the signal; the test checks what it says, not how fast (the machine may be loaded).
  it('gives up at its timeout, retryably', async () => {
    h.slow();
    const started = Date.now();
    const outcome = await send(create(h.timeout));
    expect(outcome).toMatchObject({ ok: false, retryable: true });
    await new Promise((r) => setTimeout(r, Math.max(0, SLOW_MS - (Date.now() - started)) + 50));
  });

  it('stops when the signal aborts, and does not start when it already has', async () => {
    h.slow();
    const alerter = create();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    const outcome = await send(alerter, controller.signal);
    expect(outcome).toMatchObject({ ok: false, reason: expect.stringMatching(/abort/i) });
    await new Promise((r) => setTimeout(r, Math.max(0, SLOW_MS - (Date.now() - started)) + 50));

    const count = h.received().length;
    const outcome2 = await send(alerter, AbortSignal.abort());
    expect(outcome2).toMatchObject({ ok: false });
    expect(h.received()).toHaveLength(count);
  });

  (KNOWN_LEAKS.has(name) ? it.fails : it)('never shows a secret: info(), channel, reasons, log', () => {
    const alerter = create();
    const secrets = alerter.secrets();
    expect(secrets).toEqual(expect.arrayContaining(h.secrets));
    expect(reasons.length).toBeGreaterThanOrEqual(4);
    const shown = [JSON.stringify(alerter.info()), alerter.channel, ...reasons, log.text()].join('\n');
    for (const s of secrets) {
      expect(shown).not.toContain(s);
      expect(shown).not.toContain(encodeURIComponent(s));
    }
  });
});

describe('debug', () => {
  it('logs the alert and succeeds', async () => {
    const log = captureLog();
    const debug = BUILTIN_ALERTERS.find((d) => d.name === 'debug')!.create(RULE, deps(log));
    expect(await debug.send(alertContent(RULE, [MATCH]), new AbortController().signal)).toEqual({ ok: true });
    expect(debug.info()).toEqual({ type: 'debug' });
    expect(log.text()).toContain('Alert for contract rule at 2024-05-14T03:21:09Z');
  });
});
