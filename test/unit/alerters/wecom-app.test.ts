/**
 * WeCom application messages against a WeCom API server on 127.0.0.1 that issues and checks
 * tokens: gettoken's query, the token shared by every alerter of one application (and fetched once
 * for concurrent sends), refresh and exactly one resend when WeCom rejects the token, refetch after
 * expires_in, errcode classification, payloads, and the plugin's module path and option names.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OptionProblem } from '../../../src/alerters/alerter.ts';
import { AlerterRegistry } from '../../../src/alerters/registry.ts';
import { utf8Bytes } from '../../../src/alerters/text-limits.ts';
import { createWecomAppDefinition } from '../../../src/alerters/wecom-app.ts';
import { createWecomTokenCache } from '../../../src/alerters/wecom-token.ts';
import type { Doc } from '../../../src/model/lookup.ts';
import { alertContent, captureLog, deps, signal } from './support/alert-content.ts';
import { startWecomAppServer, type WecomAppServer } from './support/wecom-app-server.ts';

const CORP = 'ww9f8e7d6c5b4a3921';
const SECRET = 'app-secret-Qw3Er5Ty7Ui9Op1As3Df5';
const AGENT = 1000005;
const RULE = { name: 'Pod errors', type: 'any' };
const MATCH = { '@timestamp': '2024-05-14T03:21:09Z', message: 'OOMKilled' };

let server: WecomAppServer;
beforeAll(async () => {
  server = await startWecomAppServer({ corpId: CORP, secret: SECRET, agentId: AGENT });
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
});

const options = (extra: Doc = {}): Doc => ({
  ...RULE,
  wecom_app_base_url: server.url,
  wecom_app_corp_id: CORP,
  wecom_app_secret: SECRET,
  wecom_app_agent_id: AGENT,
  wecom_app_to_user: '@all',
  ...extra,
});
const content = (o: Doc = options()) => alertContent(o, [MATCH]);
const kinds = () => server.requests.map((r) => `${r.method} ${r.path}`);

describe('the access token', () => {
  it('is fetched with corpid and corpsecret, then used as access_token on message/send', async () => {
    const def = createWecomAppDefinition(createWecomTokenCache());
    expect(await def.create(options(), deps(captureLog())).send(content(), signal())).toEqual({ ok: true });
    expect(kinds()).toEqual(['GET /cgi-bin/gettoken', 'POST /cgi-bin/message/send']);
    expect(server.requests[0]!.query).toEqual({ corpid: CORP, corpsecret: SECRET });
    expect(server.requests[1]!.query.access_token).toBe(server.issued.at(-1));
  });

  it('is shared by every alerter of the application, and concurrent sends fetch it once', async () => {
    const def = createWecomAppDefinition(createWecomTokenCache());
    const a = def.create(options(), deps(captureLog()));
    const b = def.create(options({ wecom_app_to_tag: 7 }), deps(captureLog()));
    const issuedBefore = server.issued.length;
    const outcomes = await Promise.all([a.send(content(), signal()), b.send(content(), signal())]);
    expect(outcomes).toEqual([{ ok: true }, { ok: true }]);
    await a.send(content(), signal());
    expect(server.issued.length - issuedBefore).toBe(1);
    expect(kinds().filter((k) => k.includes('gettoken'))).toHaveLength(1);
  });

  it('expired (42001): fetched again and the message resent once', async () => {
    const def = createWecomAppDefinition(createWecomTokenCache());
    const alerter = def.create(options(), deps(captureLog()));
    await alerter.send(content(), signal());
    server.requests.length = 0;
    server.expireTokens();
    expect(await alerter.send(content(), signal())).toEqual({ ok: true });
    expect(kinds()).toEqual([
      'POST /cgi-bin/message/send',
      'GET /cgi-bin/gettoken',
      'POST /cgi-bin/message/send',
    ]);
    expect(server.requests[0]!.query.access_token).not.toBe(server.requests[2]!.query.access_token);
    expect(server.requests[2]!.query.access_token).toBe(server.issued.at(-1));
    expect(server.requests[2]!.json).toEqual(server.requests[0]!.json);
  });

  it.each([40014, 40001])(
    'rejected (%i): refreshed, and a second rejection is not retried again',
    async (code) => {
      const def = createWecomAppDefinition(createWecomTokenCache());
      const alerter = def.create(options(), deps(captureLog()));
      await alerter.send(content(), signal());
      server.requests.length = 0;
      server.scriptSend({ body: { errcode: code, errmsg: 'invalid access_token' } });
      expect(await alerter.send(content(), signal())).toEqual({ ok: true });
      expect(kinds()).toEqual([
        'POST /cgi-bin/message/send',
        'GET /cgi-bin/gettoken',
        'POST /cgi-bin/message/send',
      ]);

      server.requests.length = 0;
      server.scriptSend(
        { body: { errcode: code, errmsg: 'invalid access_token' } },
        { body: { errcode: code, errmsg: 'invalid access_token' } },
      );
      const outcome = await alerter.send(content(), signal());
      expect(outcome).toMatchObject({
        ok: false,
        retryable: false,
        reason: expect.stringMatching(/wecom_app_secret/),
      });
      expect(kinds().filter((k) => k.includes('message/send'))).toHaveLength(2);
    },
  );

  it('is fetched again once expires_in has passed, without a rejected send', async () => {
    let now = 1_700_000_000_000;
    const def = createWecomAppDefinition(createWecomTokenCache(() => now));
    const alerter = def.create(options(), deps(captureLog()));
    await alerter.send(content(), signal());
    now += 3_600_000;
    await alerter.send(content(), signal());
    expect(kinds().filter((k) => k.includes('gettoken'))).toHaveLength(1);
    now += 7_200_000;
    server.requests.length = 0;
    await alerter.send(content(), signal());
    expect(kinds()).toEqual(['GET /cgi-bin/gettoken', 'POST /cgi-bin/message/send']);
  });

  it('a wrong secret or corp id is permanent, says what to fix, and never shows the secret', async () => {
    const def = createWecomAppDefinition(createWecomTokenCache());
    const log = captureLog();
    const wrong = 'wrong-secret-Zx8Cv6Bn4Mm2';
    const outcome = await def
      .create(options({ wecom_app_secret: wrong }), deps(log))
      .send(content(), signal());
    expect(outcome).toMatchObject({
      ok: false,
      retryable: false,
      reason: expect.stringMatching(/40001.*Secret/),
    });
    if (!outcome.ok) expect(outcome.reason).not.toContain(wrong);
    const corp = await def
      .create(options({ wecom_app_corp_id: 'wwnope' }), deps(log))
      .send(content(), signal());
    expect(corp).toMatchObject({ ok: false, retryable: false, reason: expect.stringMatching(/40013.*corp/) });
    expect(log.text()).not.toContain(wrong);
  });
});

describe('errcodes of message/send', () => {
  const def = createWecomAppDefinition(createWecomTokenCache());
  it.each([
    [45009, true],
    [-1, true],
    [45033, true],
    [40056, false],
    [81013, false],
    [60020, false],
    [12345, false],
  ])('%i retryable: %s', async (code, retryable) => {
    server.scriptSend({ body: { errcode: code, errmsg: 'x' } });
    const outcome = await def.create(options(), deps(captureLog())).send(content(), signal());
    expect(outcome).toMatchObject({ ok: false, retryable });
  });

  it('HTTP 502 is retryable', async () => {
    server.scriptSend({ status: 502, body: {} });
    expect(await def.create(options(), deps(captureLog())).send(content(), signal())).toMatchObject({
      ok: false,
      retryable: true,
    });
  });

  it('recipients WeCom skipped are logged although the message went out', async () => {
    server.scriptSend({ body: { errcode: 0, errmsg: 'ok', invaliduser: 'nobody' } });
    const log = captureLog();
    expect(await def.create(options(), deps(log)).send(content(), signal())).toEqual({ ok: true });
    expect(log.text()).toContain('invaliduser: nobody');
  });
});

describe('payloads', () => {
  const def = createWecomAppDefinition(createWecomTokenCache());
  it('markdown, targets as lists, the agent id as a number, content cut to 2048 bytes', async () => {
    const long = '告警'.repeat(600);
    const o = options({
      wecom_app_msgtype: 'markdown',
      wecom_app_agent_id: String(AGENT),
      wecom_app_to_user: ['a', 'b'],
      wecom_app_to_party: [1, 2],
      wecom_app_to_tag: 'ops',
    });
    const outcome = await def.create(o, deps(captureLog())).send({ ...content(o), body: long }, signal());
    expect(outcome).toEqual({ ok: true });
    const body = server.requests.at(-1)!.json as Doc;
    expect(body).toMatchObject({
      touser: 'a|b',
      toparty: '1|2',
      totag: 'ops',
      msgtype: 'markdown',
      agentid: AGENT,
    });
    const text = (body.markdown as { content: string }).content;
    expect(utf8Bytes(text)).toBeLessThanOrEqual(2048);
    expect(text.endsWith('…(truncated)')).toBe(true);
  });

  it('warns when there is no recipient', () => {
    const log = captureLog();
    def.create(options({ wecom_app_to_user: undefined }), deps(log));
    expect(log.text()).toContain('no recipient');
  });

  it('names the option to fix', () => {
    expect(() => def.create(options({ wecom_app_agent_id: 'abc' }), deps(captureLog()))).toThrow(
      OptionProblem,
    );
    expect(() => def.create({ ...RULE, wecom_app_secret: SECRET }, deps(captureLog()))).toThrow(
      /wecom_app_corp_id|company id/,
    );
  });
});

describe('elastalert_modules.wechat_qiye_alert.WeChatAlerter', () => {
  const plugin = () => new AlerterRegistry().get('elastalert_modules.wechat_qiye_alert.WeChatAlerter')!;

  it.each([
    [
      'anjia0532 (corp_id...)',
      { corp_id: CORP, secret: SECRET, agent_id: AGENT, user_id: 'zhangsan|lisi', party_id: 3 },
    ],
    [
      'the wechat_ variant',
      { wechat_corp_id: CORP, wechat_secret: SECRET, wechat_agent_id: AGENT, wechat_tag_id: 9 },
    ],
  ])('%s: sends with the plugin option names', async (_, pluginOptions) => {
    const o = { ...RULE, wecom_app_base_url: server.url, ...pluginOptions };
    const alerter = plugin().create(o, deps(captureLog()));
    expect(alerter.type).toBe('wecom_app');
    expect(await alerter.send(alertContent(o, [MATCH]), signal())).toEqual({ ok: true });
    const body = server.requests.at(-1)!.json as Doc;
    expect(body.agentid).toBe(AGENT);
    expect([body.touser, body.toparty, body.totag].join(',')).toMatch(/zhangsan\|lisi,3,|,,9/);
    expect(alerter.secrets()).toContain(SECRET);
  });

  it("a missing option is reported with the plugin's names", () => {
    expect(() => plugin().create({ ...RULE, secret: SECRET, agent_id: AGENT }, deps(captureLog()))).toThrow(
      /corp_id or wechat_corp_id/,
    );
  });
});
