/**
 * The DingTalk alerter against a real HTTP receiver on 127.0.0.1: ElastAlert 2's payloads, the
 * seed article's plugin rule, @mentions, signing (recomputed from what arrived), the errcodes
 * DingTalk hides in HTTP 200 replies, the UTF-8 size cap, and no token in anything shown.
 */
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OptionProblem, type Alerter } from '../../../src/alerters/alerter.ts';
import { dingtalkAlerter, dingtalkSign, signedUrl } from '../../../src/alerters/dingtalk.ts';
import { AlerterRegistry } from '../../../src/alerters/registry.ts';
import { utf8Bytes } from '../../../src/alerters/text-limits.ts';
import { catalogs } from '../../../src/app/catalogs.ts';
import { loadRuleFile } from '../../../src/compile/compile-rule.ts';
import type { Doc } from '../../../src/model/lookup.ts';
import { type Receiver, startReceiver } from '../../integration/support/http-receiver.ts';
import { alertContent, captureLog, deps, signal } from './support/alert-content.ts';
import { testConfig } from '../../support/config.ts';
import { startHttpProxy } from './support/http-proxy.ts';

const TOKEN = 'f3a9c2e1d4b5a6978877665544332211ffeeddccbbaa00998877665544332211';
const SECRET = 'SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd';
const MATCH = { '@timestamp': '2021-01-01T00:00:00', somefield: 'foobarbaz' };
const RULE = { name: 'Test DingTalk Rule', type: 'any', alert_subject: 'Test DingTalk' };

let rx: Receiver;
beforeAll(async () => {
  rx = await startReceiver();
});
afterAll(() => rx.close());
beforeEach(() => {
  rx.received.length = 0;
  rx.fallback = { status: 200, body: { errcode: 0, errmsg: 'ok' } };
});

const webhook = () => `${rx.url}/robot/send?access_token=${TOKEN}`;

function make(options: Doc, log = captureLog()): Alerter {
  return dingtalkAlerter.create({ ...RULE, dingtalk_webhook: webhook(), ...options }, deps(log));
}

async function sendOne(options: Doc, matches: Doc[] = [MATCH]) {
  const alerter = make(options);
  const outcome = await alerter.send(alertContent({ ...RULE, ...options }, matches), signal());
  return { outcome, request: rx.received.at(-1)! };
}

describe('signature', () => {
  it("reproduces ElastAlert 2's test vector (its mocked clock gave the timestamp 1720063700033000)", () => {
    expect(dingtalkSign('xxx', '1720063700033000')).toBe(
      'p7C%2BjdCVtGt77XXVBqP6I9ZzC8T0X9tv%2BWOduuQ53ZM%3D',
    );
  });

  it('matches Python quote_plus(base64(hmac_sha256)) for a millisecond timestamp', () => {
    // python3: quote_plus(b64encode(hmac.new(b'xxx', b'1720063700033\nxxx', sha256).digest()))
    expect(dingtalkSign('xxx', 1720063700033)).toBe('IHDTBKzS3wZ2L1jwzs7iZM2suWC89V%2BVfuN1kTnAMSE%3D');
  });

  it('builds each URL afresh from the stored one', () => {
    const base = 'https://oapi.dingtalk.com/robot/send?access_token=abc';
    expect(signedUrl(base, 'xxx', 1720063700033)).toBe(
      `${base}&timestamp=1720063700033&sign=IHDTBKzS3wZ2L1jwzs7iZM2suWC89V%2BVfuN1kTnAMSE%3D`,
    );
    expect(signedUrl(base, undefined)).toBe(base);
  });

  it('signs every request with a current timestamp, never piling parameters onto the URL', async () => {
    const alerter = make({ dingtalk_sign: SECRET });
    const content = alertContent(RULE, [MATCH]);
    const before = Date.now();
    expect(await alerter.send(content, signal())).toEqual({ ok: true });
    expect(await alerter.send(content, signal())).toEqual({ ok: true });
    for (const req of rx.received) {
      const url = new URL(req.path, rx.url);
      expect(url.searchParams.getAll('timestamp')).toHaveLength(1);
      expect(url.searchParams.getAll('sign')).toHaveLength(1);
      expect(url.searchParams.get('access_token')).toBe(TOKEN);
      const ts = url.searchParams.get('timestamp')!;
      expect(Number(ts)).toBeGreaterThanOrEqual(before);
      expect(Number(ts)).toBeLessThanOrEqual(Date.now());
      const expected = createHmac('sha256', SECRET).update(`${ts}\n${SECRET}`).digest('base64');
      expect(url.searchParams.get('sign')).toBe(expected);
    }
  });
});

describe('payloads (ElastAlert 2 shapes, plus at)', () => {
  const body = 'Test DingTalk Rule\n\n@timestamp: 2021-01-01T00:00:00\nsomefield: foobarbaz\n';

  it('text, with the headers ElastAlert 2 sends', async () => {
    const { outcome, request } = await sendOne({ dingtalk_msgtype: 'text' });
    expect(outcome).toEqual({ ok: true });
    expect(request.method).toBe('POST');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers.accept).toBe('application/json;charset=utf-8');
    expect(request.json).toEqual({ msgtype: 'text', text: { content: body }, at: { isAtAll: false } });
  });

  it('markdown', async () => {
    const { request } = await sendOne({ dingtalk_msgtype: 'markdown' });
    expect(request.json).toEqual({
      msgtype: 'markdown',
      markdown: { title: 'Test DingTalk', text: body },
      at: { isAtAll: false },
    });
  });

  it('single_action_card', async () => {
    const { request } = await sendOne({
      dingtalk_msgtype: 'single_action_card',
      dingtalk_single_title: 'elastalert',
      dingtalk_single_url: 'http://xxxxx2',
    });
    expect(request.json).toEqual({
      msgtype: 'actionCard',
      actionCard: {
        title: 'Test DingTalk',
        text: body,
        singleTitle: 'elastalert',
        singleURL: 'http://xxxxx2',
      },
    });
  });

  it('action_card with orientation and buttons', async () => {
    const btns = [
      { title: 'test1', actionURL: 'https://xxxxx0/' },
      { title: 'test2', actionURL: 'https://xxxxx1/' },
    ];
    const { request } = await sendOne({
      dingtalk_msgtype: 'action_card',
      dingtalk_btn_orientation: '1',
      dingtalk_btns: btns,
    });
    expect(request.json).toEqual({
      msgtype: 'actionCard',
      actionCard: { title: 'Test DingTalk', text: body, btnOrientation: '1', btns },
    });
  });

  it('action_card without orientation or buttons leaves them out', async () => {
    const { request } = await sendOne({ dingtalk_msgtype: 'action_card' });
    expect(request.json).toEqual({
      msgtype: 'actionCard',
      actionCard: { title: 'Test DingTalk', text: body },
    });
  });

  it('mentions: at block, and "@mobile" appended to the text once per number not already there', async () => {
    const { request } = await sendOne({
      alert_text: 'pod crashed, cc @13800001111',
      alert_text_type: 'alert_text_only',
      dingtalk_at_mobiles: [13800001111, '13900002222'],
      dingtalk_at_user_ids: 'user123',
      dingtalk_at_all: true,
    });
    expect(request.json).toEqual({
      msgtype: 'text',
      text: { content: 'pod crashed, cc @13800001111\n\n\n@13900002222' },
      at: { atMobiles: ['13800001111', '13900002222'], atUserIds: ['user123'], isAtAll: true },
    });
  });

  it('mentions in markdown too; action cards take none', async () => {
    const md = await sendOne({ dingtalk_msgtype: 'markdown', dingtalk_at_mobiles: '13900002222' });
    expect((md.request.json as Doc).markdown).toEqual({
      title: 'Test DingTalk',
      text: `${body}\n@13900002222`,
    });
    const card = await sendOne({
      dingtalk_msgtype: 'single_action_card',
      dingtalk_at_mobiles: '13900002222',
    });
    expect(card.request.json).not.toHaveProperty('at');
    expect(JSON.stringify(card.request.json)).not.toContain('@13900002222');
  });

  it('the access token alone builds the oapi.dingtalk.com URL', () => {
    const alerter = dingtalkAlerter.create({ ...RULE, dingtalk_access_token: TOKEN }, deps(captureLog()));
    expect(alerter.info()).toEqual({
      type: 'dingtalk',
      dingtalk_webhook_url: 'https://oapi.dingtalk.com/robot/send?access_token=***',
    });
    expect(alerter.channel).toMatch(/^dingtalk:[0-9a-f]{12}$/);
    expect(alerter.ratePerMinute).toBe(20);
    expect(alerter.secrets()).toContain(TOKEN);
  });
});

describe("the seed article's rule (elastalert_modules.dingtalk_alert.DingTalkAlerter)", () => {
  it('is served by the dingtalk alerter under the plugin name', () => {
    const def = new AlerterRegistry().get('elastalert_modules.dingtalk_alert.DingTalkAlerter');
    expect(def?.name).toBe(dingtalkAlerter.name);
    expect(def?.optionNames).toEqual(expect.arrayContaining([...dingtalkAlerter.optionNames]));
  });

  it('loads unchanged and posts the plugin payload with the alert_text_args filled in', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'esalert-seed-'));
    const file = join(dir, 'events.yaml');
    writeFileSync(
      file,
      [
        'name: Other event frequency rule',
        'type: frequency',
        'index: eventrouter-*',
        'num_events: 5',
        'timeframe:',
        '  minutes: 10',
        'filter:',
        '- query:',
        '    query_string:',
        '      query: "event.type: Warning NOT event.involvedObject.kind: Node"',
        'alert:',
        '- "elastalert_modules.dingtalk_alert.DingTalkAlerter"',
        `dingtalk_webhook: "${webhook()}"`,
        'dingtalk_msgtype: "text"',
        'alert_text_type: alert_text_only',
        'alert_text: "',
        '  ====elastalert message====\\n EventTime>>: {}\\n Event_involvedObject_name>>: {}\\n Event_involvedObject_kind>>: {}\\n Event_involvedObject_namespace>>: {}\\n Message>>: {}\\n Event_reason>>: {}\\n verb>>: {}',
        '  "',
        'alert_text_args:',
        '- "@timestamp"',
        '- event.involvedObject.name',
        '- event.source.component',
        '- event.involvedObject.namespace',
        '- event.message',
        '- event.reason',
        '- verb',
        '',
      ].join('\n'),
    );
    const global = testConfig({
      rules_folder: dir,
      run_every: { minutes: 1 },
      buffer_time: { minutes: 15 },
      es_host: 'localhost',
      writeback_index: 'wb',
    });
    const log = captureLog();
    const rule = loadRuleFile(file, {
      global,
      env: () => undefined,
      catalogs: catalogs(),
      logger: log.logger,
    });
    expect(rule.alerters.map((a) => a.type)).toEqual(['dingtalk']);
    const match = {
      '@timestamp': '2019-12-12T03:21:09Z',
      verb: 'UPDATED',
      event: {
        involvedObject: { name: 'api-7c9f8d6b5-x2k4p', namespace: 'prod', kind: 'Pod' },
        source: { component: 'kubelet' },
        reason: 'BackOff',
        message: 'Back-off restarting failed container "api"',
      },
    };
    const content = alertContent(rule.definition.raw, [match]);
    expect(await rule.alerters[0]!.send(content, signal())).toEqual({ ok: true });
    expect(rx.received.at(-1)!.json).toEqual({
      msgtype: 'text',
      text: {
        content:
          ' ====elastalert message====\n EventTime>>: 2019-12-12T03:21:09Z\n Event_involvedObject_name>>: api-7c9f8d6b5-x2k4p\n Event_involvedObject_kind>>: kubelet\n Event_involvedObject_namespace>>: prod\n Message>>: Back-off restarting failed container "api"\n Event_reason>>: BackOff\n verb>>: UPDATED \n\n',
      },
      at: { isAtAll: false },
    });
    expect(log.text()).not.toContain(TOKEN);
  });
});

describe('errcode and HTTP classification', () => {
  const cases: [string, { status?: number; body?: unknown; headers?: Record<string, string> }, Doc][] = [
    [
      '130101 too fast: retry after a minute',
      { body: { errcode: 130101, errmsg: 'send too fast' } },
      { retryable: true, retryAfterMs: 60_000 },
    ],
    ['-1 busy: retry', { body: { errcode: -1, errmsg: 'system busy' } }, { retryable: true }],
    [
      '310000 security check: permanent',
      { body: { errcode: 310000, errmsg: 'keywords not in content' } },
      { retryable: false },
    ],
    [
      '300001 no such token: permanent',
      { body: { errcode: 300001, errmsg: 'token is not exist' } },
      { retryable: false },
    ],
    [
      '400402 missing parameter: permanent',
      { body: { errcode: 400402, errmsg: 'missing title' } },
      { retryable: false },
    ],
    [
      'an unknown errcode: permanent',
      { body: { errcode: 400013, errmsg: 'group dissolved' } },
      { retryable: false },
    ],
    ['HTTP 500: retry', { status: 500, body: 'oops' }, { retryable: true }],
    [
      'HTTP 429 with Retry-After',
      { status: 429, body: '', headers: { 'retry-after': '7' } },
      { retryable: true, retryAfterMs: 7000 },
    ],
    ['HTTP 400: permanent', { status: 400, body: 'bad' }, { retryable: false }],
    [
      'HTTP 200 without an errcode: permanent',
      { status: 200, body: '<html>hello</html>' },
      { retryable: false },
    ],
  ];
  it.each(cases)('%s', async (_name, reply, expected) => {
    rx.script(reply);
    const { outcome } = await sendOne({});
    expect(outcome).toMatchObject({ ok: false, ...expected });
    if (!outcome.ok) expect(outcome.reason).not.toContain(TOKEN);
  });

  it('310000 says what to fix', async () => {
    rx.script({ body: { errcode: 310000, errmsg: 'keywords not in content' } });
    const { outcome } = await sendOne({});
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.reason).toContain('DingTalk errcode 310000');
    expect(outcome.reason).toContain('keywords');
    expect(outcome.reason).toContain('dingtalk_sign');
    expect(outcome.reason).toContain('allowlist');
    expect(outcome.reason).toContain('keywords not in content');
  });

  it('connection refused: retryable, URL without the token', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const alerter = dingtalkAlerter.create(
      { ...RULE, dingtalk_webhook: `http://127.0.0.1:${port}/robot/send?access_token=${TOKEN}` },
      deps(captureLog()),
    );
    const outcome = await alerter.send(alertContent(RULE, [MATCH]), signal());
    expect(outcome).toMatchObject({ ok: false, retryable: true });
    if (!outcome.ok) expect(outcome.reason).not.toContain(TOKEN);
  });

  // the robot holds its answer until released: only the timeout or the abort can end the request
  it('no answer within dingtalk_timeout: retryable', async () => {
    rx.script({ hold: true });
    try {
      const { outcome } = await sendOne({ dingtalk_timeout: 0.3 });
      expect(outcome).toMatchObject({ ok: false, retryable: true });
      if (!outcome.ok) expect(outcome.reason).toMatch(/no answer within 300 ms/);
    } finally {
      rx.release();
    }
  });

  it('an abort stops the request', async () => {
    rx.script({ hold: true });
    const alerter = make({});
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    try {
      const outcome = await alerter.send(alertContent(RULE, [MATCH]), controller.signal);
      expect(outcome).toMatchObject({ ok: false, reason: expect.stringContaining('aborted') });
    } finally {
      rx.release();
    }
  });
});

describe('size and keywords', () => {
  it('cuts a long Chinese text to 15000 UTF-8 bytes at a character boundary, keeping the mentions', async () => {
    const long = '容器重启失败，请检查镜像。'.repeat(600); // 13 characters x 3 bytes x 600 = 23400 bytes
    const { request } = await sendOne({
      alert_text: long,
      alert_text_type: 'alert_text_only',
      dingtalk_at_mobiles: ['13900002222'],
    });
    const sent = ((request.json as Doc).text as Doc).content as string;
    expect(utf8Bytes(sent)).toBeLessThanOrEqual(15_000);
    expect(utf8Bytes(sent)).toBeGreaterThan(14_900);
    expect(sent).toMatch(/…\(truncated\)\n@13900002222$/);
    expect(sent).not.toContain('\uFFFD');
    expect(Buffer.from(sent, 'utf8').toString('utf8')).toBe(sent);
  });

  it('warns when the text contains none of dingtalk_keywords, and not when it does', async () => {
    const log = captureLog();
    const alerter = make({ dingtalk_keywords: ['告警', 'alert'] }, log);
    await alerter.send(alertContent(RULE, [MATCH]), signal());
    expect(log.lines().filter((l) => l.level === 40)).toHaveLength(1);
    expect(log.text()).toContain('errcode 310000');
    await alerter.send(alertContent({ ...RULE, alert_text: 'k8s 告警' }, [MATCH]), signal());
    expect(log.lines().filter((l) => l.level === 40)).toHaveLength(1);
  });
});

describe('options', () => {
  const create = (options: Doc) => () => dingtalkAlerter.create({ ...RULE, ...options }, deps(captureLog()));

  it('needs an access token or a webhook URL', () => {
    expect(create({})).toThrow(OptionProblem);
    expect(create({})).toThrow(/is required: the robot's access token \(or set dingtalk_webhook/);
  });

  it('rejects an unknown msgtype with the allowed ones', () => {
    expect(create({ dingtalk_access_token: 'x', dingtalk_msgtype: 'link' })).toThrow(
      /must be one of "text", "markdown", "single_action_card", "action_card"/,
    );
  });

  it('accepts the full URL in dingtalk_access_token too', () => {
    const a = dingtalkAlerter.create(
      { ...RULE, dingtalk_access_token: `https://oapi.dingtalk.com/robot/send?access_token=${TOKEN}` },
      deps(captureLog()),
    );
    expect(a.info()).toEqual({
      type: 'dingtalk',
      dingtalk_webhook_url: 'https://oapi.dingtalk.com/robot/send?access_token=***',
    });
  });

  it('goes through dingtalk_proxy, logging in with dingtalk_proxy_login / dingtalk_proxy_pass', async () => {
    const proxy = await startHttpProxy();
    try {
      const { outcome, request } = await sendOne({
        dingtalk_proxy: proxy.url,
        dingtalk_proxy_login: 'me',
        dingtalk_proxy_pass: 'p@ss word',
      });
      expect(outcome).toEqual({ ok: true });
      expect(request.json).toMatchObject({ msgtype: 'text' });
      expect(proxy.seen).toHaveLength(1);
      expect(proxy.seen[0]!.target).toContain('/robot/send?access_token=');
      expect(proxy.seen[0]!.proxyAuthorization).toBe(
        `Basic ${Buffer.from('me:p@ss word').toString('base64')}`,
      );
    } finally {
      await proxy.close();
    }
  });

  it('keeps token, secret and proxy password secret', () => {
    const a = dingtalkAlerter.create(
      {
        ...RULE,
        dingtalk_access_token: TOKEN,
        dingtalk_sign: SECRET,
        dingtalk_proxy: 'http://proxy.local:3128',
        dingtalk_proxy_login: 'me',
        dingtalk_proxy_pass: 'proxy-password',
      },
      deps(captureLog()),
    );
    expect(a.secrets()).toEqual(expect.arrayContaining([TOKEN, SECRET, 'proxy-password']));
    expect(JSON.stringify(a.info())).not.toMatch(new RegExp(`${TOKEN}|${SECRET}|proxy-password`));
  });
});
