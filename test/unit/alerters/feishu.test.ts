/**
 * The Feishu/Lark bot alerter against a webhook on 127.0.0.1 that verifies Feishu's signature and
 * message shapes: signing, text/post/card bodies, body templates, the quiet window, the 20 KB cap,
 * reply codes, and the FeishuAlert plugins' module paths and option names.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { feishuAlerter, formatFeishuBody } from '../../../src/alerters/feishu.ts';
import { FEISHU_MAX_BYTES, feishuBotPayload, feishuSign } from '../../../src/alerters/feishu-bot.ts';
import { AlerterRegistry } from '../../../src/alerters/registry.ts';
import type { Doc } from '../../../src/model/lookup.ts';
import { alertContent, captureLog, deps, signal } from './support/alert-content.ts';
import { type FeishuBotServer, startFeishuBotServer } from './support/feishu-bot-server.ts';

const HOOK = '0c7d1e2f-3a4b-5c6d-7e8f-90a1b2c3d4e5';
const SECRET = 'sign-secret-Rt5Yu7Io9Pa2';
const RULE = { name: 'Gateway 5xx', type: 'any', alert_subject: 'Gateway 5xx' };
const MATCH = { '@timestamp': '2024-05-14T03:21:09Z', host: { name: 'gw-1' }, status: 502, num_hits: 7 };
const NEVER = { start: '23:59:59', end: '00:00:00' };
const ALWAYS = { start: '00:00:00', end: '23:59:59' };

let signed: FeishuBotServer;
let open: FeishuBotServer;
beforeAll(async () => {
  signed = await startFeishuBotServer({ id: HOOK, secret: SECRET });
  open = await startFeishuBotServer({ id: HOOK });
});
afterAll(() => Promise.all([signed.close(), open.close()]));
beforeEach(() => {
  signed.requests.length = 0;
  open.requests.length = 0;
});

async function send(def: ReturnType<AlerterRegistry['get']>, o: Doc, log = captureLog()) {
  const alerter = def!.create(o, deps(log));
  return alerter.send(alertContent(o, [MATCH]), signal());
}

describe('signing', () => {
  it('timestamp (seconds) and sign go in the body; the webhook verifies them', async () => {
    const o = { ...RULE, feishu_webhook: signed.hookUrl, feishu_secret: SECRET };
    expect(await send(feishuAlerter, o)).toEqual({ ok: true });
    const r = signed.requests.at(-1)!;
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ timestamp: expect.stringMatching(/^\d{10}$/), sign: expect.any(String) });
  });

  it('a wrong secret is refused with 19021: permanent, explained, the secret not shown', async () => {
    const wrong = 'not-the-secret-Gh5Jk7';
    const log = captureLog();
    const outcome = await send(
      feishuAlerter,
      { ...RULE, feishu_webhook: signed.hookUrl, feishu_secret: wrong },
      log,
    );
    expect(signed.requests.at(-1)!.code).toBe(19021);
    expect(outcome).toMatchObject({
      ok: false,
      retryable: false,
      reason: expect.stringMatching(/19021.*secret/),
    });
    if (!outcome.ok) expect(outcome.reason).not.toContain(wrong);
  });

  it('sign = base64(HMAC-SHA256 keyed with "<timestamp>\\n<secret>" over nothing)', () => {
    const payload = feishuBotPayload({ msgtype: 'text', title: 't', text: 'x' }, SECRET, 1_599_360_473_000);
    expect(payload.timestamp).toBe('1599360473');
    expect(payload.sign).toBe(feishuSign(SECRET, 1599360473));
    expect(feishuSign(SECRET, 1599360473)).not.toBe(feishuSign(SECRET, 1599360474));
  });
});

describe('messages', () => {
  const base = () => ({ ...RULE, feishu_bot_id: HOOK });

  it('text: the alert body, as ElastAlert 2 and the plugins send it', async () => {
    expect(await send(feishuAlerter, { ...base(), feishu_webhook: open.hookUrl })).toEqual({ ok: true });
    expect(open.requests.at(-1)).toMatchObject({
      code: 0,
      json: {
        msg_type: 'text',
        content: { title: 'Gateway 5xx', text: expect.stringContaining('status: 502') },
      },
    });
  });

  it('post and a default card carry the title and the text', async () => {
    await send(feishuAlerter, { ...base(), feishu_webhook: open.hookUrl, feishu_msgtype: 'post' });
    expect(open.requests.at(-1)).toMatchObject({
      code: 0,
      json: { msg_type: 'post', content: { post: { zh_cn: { title: 'Gateway 5xx' } } } },
    });
    await send(feishuAlerter, { ...base(), feishu_webhook: open.hookUrl, feishu_msgtype: 'interactive' });
    expect(open.requests.at(-1)).toMatchObject({
      code: 0,
      json: { msg_type: 'interactive', card: { header: { title: { content: 'Gateway 5xx' } } } },
    });
  });

  it('feishu_card: {{ field }} filled from the match, N/A when missing', async () => {
    const card = {
      elements: [{ tag: 'div', text: { tag: 'lark_md', content: '{{ host.name }}: {{status}} {{ nope }}' } }],
    };
    await send(feishuAlerter, {
      ...base(),
      feishu_webhook: open.hookUrl,
      feishu_msgtype: 'interactive',
      feishu_card: card,
    });
    expect(open.requests.at(-1)!.json).toMatchObject({
      card: { elements: [{ text: { content: 'gw-1: 502 N/A' } }] },
    });
  });

  it('feishu_body: Python format over the match and the rule; unknown names stay as written', () => {
    const values = { ...RULE, ...MATCH, feishualert_time: '2024-05-14 11:21:09' };
    expect(formatFeishuBody('{name}: {host.name} {status:>5} at {feishualert_time}', values)).toBe(
      'Gateway 5xx: gw-1   502 at 2024-05-14 11:21:09',
    );
    expect(formatFeishuBody('{host.name} {missing}', values)).toBe('gw-1 {missing}');
  });

  it('the body is cut so that the request stays within 20 KB', async () => {
    const o = { ...base(), feishu_webhook: open.hookUrl };
    const alerter = feishuAlerter.create(o, deps(captureLog()));
    const content = { ...alertContent(o, [MATCH]), body: '"引号"\n'.repeat(6000) };
    expect(await alerter.send(content, signal())).toEqual({ ok: true });
    const r = open.requests.at(-1)!;
    expect(r.code).toBe(0);
    expect(r.bytes).toBeLessThanOrEqual(FEISHU_MAX_BYTES);
    expect((r.json!.content as { text: string }).text.endsWith('…(truncated)')).toBe(true);
  });

  it('inside feishu_skip nothing is sent; outside it is', async () => {
    const log = captureLog();
    expect(
      await send(feishuAlerter, { ...base(), feishu_webhook: open.hookUrl, feishu_skip: ALWAYS }, log),
    ).toEqual({
      ok: true,
    });
    expect(open.requests).toHaveLength(0);
    expect(log.text()).toContain('feishu_skip');
    await send(feishuAlerter, { ...base(), feishu_webhook: open.hookUrl, feishu_skip: NEVER });
    expect(open.requests).toHaveLength(1);
  });

  it('feishu_bot_id builds the hook URL; neither option is an error naming feishu_webhook', () => {
    expect(feishuAlerter.create(base(), deps(captureLog())).info()).toEqual({
      type: 'feishu',
      feishu_webhook_url: 'https://open.feishu.cn/open-apis/bot/v2/hook/***',
    });
    expect(() => feishuAlerter.create(RULE, deps(captureLog()))).toThrow(/webhook/);
  });
});

describe('replies', () => {
  const o = () => ({ ...RULE, feishu_webhook: open.hookUrl });
  it.each([
    ['11232 frequency limited', { body: { code: 11232, msg: 'frequency limited psm' } }, true],
    ['9499 frequency limited', { body: { code: 9499, msg: 'frequency limited psm test' } }, true],
    ['9499 bad request', { body: { code: 9499, msg: 'Bad Request' } }, false],
    ['19024 keywords', { body: { code: 19024, msg: 'Key Words Not Found' } }, false],
    ['HTTP 500', { status: 500, body: {} }, true],
    ['no code at all', { body: { ok: true } }, false],
  ])('%s: retryable %s', async (_, reply, retryable) => {
    open.script(reply);
    expect(await send(feishuAlerter, o())).toMatchObject({ ok: false, retryable });
  });

  it('the older StatusCode reply counts', async () => {
    open.script({ body: { StatusCode: 0, StatusMessage: 'success' } });
    expect(await send(feishuAlerter, o())).toEqual({ ok: true });
  });
});

describe('the FeishuAlert plugins', () => {
  const registry = new AlerterRegistry();

  it('elastalert_modules.feishu_alert.FeishuAlert: feishualert_url + botid, title, body template', async () => {
    const def = registry.get('elastalert_modules.feishu_alert.FeishuAlert');
    const o = {
      ...RULE,
      feishualert_url: `${open.url}/open-apis/bot/v2/hook/`,
      feishualert_botid: HOOK,
      feishualert_title: '网关告警',
      feishualert_body:
        '告警策略: {feishualert_title}\n主机: {host.name}\n状态: {status}\n时间: {feishualert_time}',
      feishualert_skip: NEVER,
    };
    expect(await send(def, o)).toEqual({ ok: true });
    const r = open.requests.at(-1)!;
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({
      msg_type: 'text',
      content: {
        title: '网关告警',
        text: expect.stringMatching(
          /^告警策略: 网关告警\n主机: gw-1\n状态: 502\n时间: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/,
        ),
      },
    });
  });

  it('a fork that puts the whole webhook in feishualert_url and signs with feishu_secret', async () => {
    const def = registry.get('elastalert_modules.feishu_alert.FeishuAlert');
    const o = {
      ...RULE,
      feishualert_url: signed.hookUrl,
      feishualert_botid: 'unused',
      feishu_secret: SECRET,
    };
    expect(await send(def, o)).toEqual({ ok: true });
    expect(signed.requests.at(-1)!.code).toBe(0);
  });

  it('elastalert.alerters.feishu.FeishuAlert: a card from feishu_card_template by default, text on request', async () => {
    const def = registry.get('elastalert.alerters.feishu.FeishuAlert');
    const template = {
      msg_type: 'interactive',
      card: { elements: [{ tag: 'markdown', content: 'pod {{ host.name }}' }] },
    };
    await send(def, { ...RULE, feishu_webhook_url: open.hookUrl, feishu_card_template: template });
    expect(open.requests.at(-1)).toMatchObject({
      code: 0,
      json: { msg_type: 'interactive', card: { elements: [{ content: 'pod gw-1' }] } },
    });
    await send(def, {
      ...RULE,
      feishu_webhook_url: open.hookUrl,
      feishu_alert_type: 'text',
      feishu_message: 'status {status}',
    });
    expect(open.requests.at(-1)!.json).toMatchObject({
      msg_type: 'text',
      content: { title: 'ElastAlert 告警通知', text: 'status 502' },
    });
  });

  it("a bad value is reported under the plugin's option name", () => {
    const def = registry.get('elastalert_modules.feishu_alert.FeishuAlert')!;
    expect(() =>
      def.create(
        { ...RULE, feishualert_botid: HOOK, feishualert_skip: { start: '1am', end: '2am' } },
        deps(captureLog()),
      ),
    ).toThrow(expect.objectContaining({ option: 'feishualert_skip' }));
  });
});
