/**
 * The WeCom group-robot alerter against a real HTTP receiver: ElastAlert 2's workwechat options,
 * our wecom_* options, payloads (mentions only in text), byte limits that never split a
 * character, and the errcodes WeCom returns inside HTTP 200 replies.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Alerter, OptionProblem } from '../../../src/alerters/alerter.ts';
import { AlerterRegistry } from '../../../src/alerters/registry.ts';
import { utf8Bytes } from '../../../src/alerters/text-limits.ts';
import { wecomAlerter } from '../../../src/alerters/wecom.ts';
import type { Doc } from '../../../src/model/lookup.ts';
import { type Receiver, startReceiver } from '../../integration/support/http-receiver.ts';
import { alertContent, captureLog, deps, signal } from './support/alert-content.ts';

const KEY = '693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa';
const MATCH = { '@timestamp': '2024-01-30T00:00:00', somefield: 'foobar' };
const RULE = { name: 'Test WorkWechat Rule', type: 'any' };
const BODY = 'Test WorkWechat Rule\n\n@timestamp: 2024-01-30T00:00:00\nsomefield: foobar\n';

let rx: Receiver;
beforeAll(async () => {
  rx = await startReceiver();
});
afterAll(() => rx.close());
beforeEach(() => {
  rx.received.length = 0;
});

const url = () => `${rx.url}/cgi-bin/webhook/send?key=${KEY}`;

function make(options: Doc, log = captureLog()): Alerter {
  return wecomAlerter.create({ ...RULE, wecom_webhook: url(), ...options }, deps(log));
}

async function sendOne(options: Doc, content = alertContent({ ...RULE, ...options }, [MATCH])) {
  const outcome = await make(options).send(content, signal());
  return { outcome, request: rx.received.at(-1)! };
}

describe('payloads', () => {
  it("text, as ElastAlert 2's workwechat sends it", async () => {
    const { outcome, request } = await sendOne({});
    expect(outcome).toEqual({ ok: true });
    expect(request.path).toBe(`/cgi-bin/webhook/send?key=${KEY}`);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.json).toEqual({ msgtype: 'text', text: { content: BODY } });
  });

  it('text with mentions', async () => {
    const { request } = await sendOne({
      wecom_mentioned_list: ['wangqing', '@all'],
      wecom_mentioned_mobile_list: 13800001111,
    });
    expect(request.json).toEqual({
      msgtype: 'text',
      text: { content: BODY, mentioned_list: ['wangqing', '@all'], mentioned_mobile_list: ['13800001111'] },
    });
  });

  it('markdown (work_wechat_msgtype) and markdown_v2 carry no mention lists', async () => {
    const log = captureLog();
    const md = make({ work_wechat_msgtype: 'markdown', wecom_mentioned_list: 'wangqing' }, log);
    await md.send(alertContent(RULE, [MATCH]), signal());
    expect(rx.received.at(-1)!.json).toEqual({ msgtype: 'markdown', markdown: { content: BODY } });
    expect(log.text()).toContain('only work with text messages');
    await make({ wecom_msgtype: 'markdown_v2' }).send(alertContent(RULE, [MATCH]), signal());
    expect(rx.received.at(-1)!.json).toEqual({ msgtype: 'markdown_v2', markdown_v2: { content: BODY } });
  });

  it("ElastAlert 2's workwechat name and work_wechat_bot_id build the qyapi URL", () => {
    expect(new AlerterRegistry().get('workwechat')).toBe(wecomAlerter);
    const a = wecomAlerter.create({ ...RULE, work_wechat_bot_id: KEY }, deps(captureLog()));
    expect(a.info()).toEqual({
      type: 'wecom',
      wecom_webhook_url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***',
    });
    expect(a.secrets()).toContain(KEY);
    expect(a.channel).toMatch(/^wecom:[0-9a-f]{12}$/);
    expect(a.ratePerMinute).toBe(20);
  });

  it('a full URL given as the key works (the usual mix-up)', () => {
    const a = wecomAlerter.create(
      { ...RULE, wecom_key: `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=${KEY}` },
      deps(captureLog()),
    );
    expect(a.info()).toEqual({
      type: 'wecom',
      wecom_webhook_url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***',
    });
  });
});

describe('byte limits', () => {
  const chinese = '节点内存不足，Pod 被驱逐😀。'.repeat(400);

  it.each([
    ['text', 2048],
    ['markdown', 4096],
    ['markdown_v2', 4096],
  ] as const)('%s stays within %i bytes without splitting a character', async (msgtype, limit) => {
    const options = { wecom_msgtype: msgtype, alert_text: chinese, alert_text_type: 'alert_text_only' };
    const { request } = await sendOne(options);
    const section = (request.json as Doc)[msgtype] as Doc;
    const content = section.content as string;
    expect(utf8Bytes(content)).toBeLessThanOrEqual(limit);
    expect(utf8Bytes(content)).toBeGreaterThan(limit - 8);
    expect(content.endsWith('…(truncated)')).toBe(true);
    expect(content).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/); // no lone high surrogate
    expect(chinese.startsWith(content.slice(0, -'…(truncated)'.length))).toBe(true);
  });

  it('a text within the limit is sent unchanged', async () => {
    const { request } = await sendOne({ alert_text: '短消息', alert_text_type: 'alert_text_only' });
    expect(request.json).toEqual({ msgtype: 'text', text: { content: '短消息\n\n' } });
  });
});

describe('errcodes', () => {
  it('45009 (20 a minute): retryable after a minute', async () => {
    rx.script({ body: { errcode: 45009, errmsg: 'api freq out of limit' } });
    expect((await sendOne({})).outcome).toMatchObject({ ok: false, retryable: true, retryAfterMs: 60_000 });
  });

  it('-1 (busy): retryable', async () => {
    rx.script({ body: { errcode: -1, errmsg: 'system busy' } });
    expect((await sendOne({})).outcome).toMatchObject({ ok: false, retryable: true });
  });

  it('93000 (invalid webhook url): permanent, says to check the key', async () => {
    rx.script({
      body: {
        errcode: 93000,
        errmsg: `invalid webhook url, hint: [1706000000_1_abc], from ip: 1.2.3.4, more info at https://open.work.weixin.qq.com/devtool/query?e=93000`,
      },
    });
    const { outcome } = await sendOne({});
    expect(outcome).toMatchObject({ ok: false, retryable: false });
    if (!outcome.ok) {
      expect(outcome.reason).toContain('WeCom errcode 93000: invalid webhook url: check the key');
      expect(outcome.reason).not.toContain(KEY);
    }
  });

  it('another errcode: permanent with errmsg', async () => {
    rx.script({ body: { errcode: 40008, errmsg: 'invalid message type' } });
    const { outcome } = await sendOne({});
    expect(outcome).toEqual({
      ok: false,
      retryable: false,
      reason: 'WeCom rejected the message with errcode 40008 (errmsg: invalid message type)',
    });
  });

  it('HTTP 502: retryable, the key masked', async () => {
    rx.script({ status: 502, body: 'bad gateway' });
    const { outcome } = await sendOne({});
    expect(outcome).toMatchObject({ ok: false, retryable: true });
    if (!outcome.ok) expect(outcome.reason).toContain('key=***');
  });
});

describe('options', () => {
  it('needs a key or a URL', () => {
    const create = () => wecomAlerter.create(RULE, deps(captureLog()));
    expect(create).toThrow(OptionProblem);
    expect(create).toThrow(/is required \(or ElastAlert 2's work_wechat_bot_id\)/);
  });

  it('rejects a msgtype it cannot send', () => {
    expect(() =>
      wecomAlerter.create({ ...RULE, wecom_key: KEY, wecom_msgtype: 'news' }, deps(captureLog())),
    ).toThrow(/must be one of "text", "markdown", "markdown_v2"/);
  });

  it('a qyapi URL without key= is refused at load', () => {
    expect(() =>
      wecomAlerter.create(
        { ...RULE, wecom_webhook: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send' },
        deps(captureLog()),
      ),
    ).toThrow(/has no key=/);
  });
});
