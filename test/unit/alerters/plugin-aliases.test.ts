/**
 * Community plugins by module path: the DingTalk plugin family (webhook or token, signing with
 * dingtalk_secret, dingtalk_security_type, dingtalk_isAtAll) and the WeCom robot plugin served by
 * built-ins against a receiver on 127.0.0.1; rule files that use them load without unknown-option
 * warnings and report bad plugin options under the plugin's name with file:line.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type PluginAlias, PLUGIN_ALIASES } from '../../../src/alerters/plugin-aliases.ts';
import { AlerterRegistry, BUILTIN_ALERTERS } from '../../../src/alerters/registry.ts';
import { catalogs } from '../../../src/app/catalogs.ts';
import { loadRuleFile } from '../../../src/compile/compile-rule.ts';
import type { Doc } from '../../../src/model/lookup.ts';
import { type Receiver, startReceiver } from '../../integration/support/http-receiver.ts';
import { testConfig } from '../../support/config.ts';
import { alertContent, captureLog, deps, signal } from './support/alert-content.ts';

const TOKEN = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9';
const SECRET = 'SECaabbccddeeff00112233445566778899aabbccddeeff0011223344556677';
const RULE = { name: 'Plugin rule', type: 'any' };
const MATCH = { '@timestamp': '2024-05-14T03:21:09Z', message: 'disk full' };

let rx: Receiver;
beforeAll(async () => {
  rx = await startReceiver();
});
afterAll(() => rx.close());
beforeEach(() => {
  rx.received.length = 0;
});

const registry = new AlerterRegistry();
async function send(path: string, o: Doc) {
  const options = { ...RULE, ...o };
  const outcome = await registry
    .get(path)!
    .create(options, deps(captureLog()))
    .send(alertContent(options, [MATCH]), signal());
  expect(outcome).toEqual({ ok: true });
  const r = rx.received.at(-1)!;
  return { url: new URL(r.path, rx.url), json: r.json as Doc };
}

/** Checks DingTalk's signature from what arrived: sign = base64(HMAC-SHA256(secret, "<timestamp>\n<secret>")). */
function signatureValid(url: URL, secret: string): boolean {
  const ts = url.searchParams.get('timestamp');
  const sign = url.searchParams.get('sign');
  if (!ts || !sign) return false;
  return createHmac('sha256', secret).update(`${ts}\n${secret}`).digest('base64') === sign;
}

describe('DingTalk plugins', () => {
  const path = 'elastalert_modules.dingtalk_alert.DingTalkAlerter';

  it("xuyaoqiang's: dingtalk_webhook and dingtalk_msgtype, the payload it sent", async () => {
    const { url, json } = await send(path, {
      dingtalk_webhook: `${rx.url}/robot/send?access_token=${TOKEN}`,
      dingtalk_msgtype: 'text',
      dingtalk_title: 'ignored, as the plugin ignored it',
    });
    expect(url.searchParams.get('access_token')).toBe(TOKEN);
    expect(url.searchParams.has('sign')).toBe(false);
    expect(json).toEqual({
      msgtype: 'text',
      text: { content: expect.stringContaining('disk full') },
      at: { isAtAll: false },
    });
  });

  it('forks that sign with dingtalk_secret, and dingtalk_isAtAll', async () => {
    const { url, json } = await send('elastalert_modules.dingtalk.DingTalkAlerter', {
      dingtalk_webhook: `${rx.url}/robot/send?access_token=${TOKEN}`,
      dingtalk_secret: SECRET,
      dingtalk_isAtAll: true,
    });
    expect(signatureValid(url, SECRET)).toBe(true);
    expect(json.at).toEqual({ isAtAll: true });
  });

  it("anjia0532's: dingtalk_access_token, signing only when dingtalk_security_type is sign", async () => {
    const api = `${rx.url}/robot/send?access_token=`;
    const signedRule = {
      dingtalk_access_token: api + TOKEN,
      dingtalk_secret: SECRET,
      dingtalk_security_type: 'sign',
    };
    const { url } = await send(path, {
      ...signedRule,
      dingtalk_at_mobiles: ['13800001111'],
      dingtalk_msgtype: 'markdown',
    });
    expect(signatureValid(url, SECRET)).toBe(true);
    expect(rx.received.at(-1)!.json).toMatchObject({
      msgtype: 'markdown',
      at: { atMobiles: ['13800001111'] },
    });
    const keyword = await send(path, { ...signedRule, dingtalk_security_type: 'keyword' });
    expect(keyword.url.searchParams.has('sign')).toBe(false);
  });

  it('is also known by the path inside the elastalert package and by ElastAlert 2 class path', () => {
    for (const p of [
      'elastalert.elastalert_modules.dingtalk_alert.DingTalkAlerter',
      'elastalert.alerters.dingtalk.DingTalkAlerter',
    ]) {
      expect(registry.get(p)?.name).toBe('dingtalk');
    }
  });
});

describe('elastalert_modules.wechat_robot.WechatRobotAlerter', () => {
  it('wechat_robot_webhook, _msgtype and _mentioned_list serve the wecom robot', async () => {
    const { url, json } = await send('elastalert_modules.wechat_robot.WechatRobotAlerter', {
      wechat_robot_webhook: `${rx.url}/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa`,
      wechat_robot_msgtype: 'text',
      wechat_robot_mentioned_list: ['@all'],
    });
    expect(url.pathname).toBe('/cgi-bin/webhook/send');
    expect(json).toEqual({
      msgtype: 'text',
      text: { content: expect.stringContaining('disk full'), mentioned_list: ['@all'] },
    });
  });
});

describe('the alias table', () => {
  it('every path is unique and names an alerter; those whose alerter is not built in yet stay unknown', () => {
    const paths = PLUGIN_ALIASES.map((a) => a.path);
    expect(new Set(paths).size).toBe(paths.length);
    const builtIn = new Set(BUILTIN_ALERTERS.map((d) => d.name));
    const pending = PLUGIN_ALIASES.filter((a) => !builtIn.has(a.target));
    expect(registry.unresolvedPlugins.map((a: PluginAlias) => a.path)).toEqual(pending.map((a) => a.path));
    for (const a of PLUGIN_ALIASES) expect(registry.has(a.path)).toBe(builtIn.has(a.target));
  });

  it('renamed options become the built-in ones when the built-in is built (Alertmanager plugin)', () => {
    const alias = PLUGIN_ALIASES.find((a) => a.path.endsWith('PrometheusAlertManagerAlerter'))!;
    expect(alias.adapt!({ alertmanager_url: 'http://am:9093/' })).toEqual({
      alertmanager_hosts: ['http://am:9093'],
    });
  });
});

describe('rule files with plugin options', () => {
  const load = (yaml: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'esalert-plugins-'));
    const file = join(dir, 'rule.yaml');
    writeFileSync(file, yaml);
    const global = testConfig({ rules_folder: dir, es_host: 'localhost', writeback_index: 'wb' });
    return loadRuleFile(file, {
      global,
      env: () => undefined,
      catalogs: catalogs(),
      logger: captureLog().logger,
    });
  };
  const head = ['name: r', 'type: any', 'index: logs-*'];

  it('load without unknown-option warnings', () => {
    const rule = load(
      [
        ...head,
        'alert:',
        '- "elastalert_modules.wechat_qiye_alert.WeChatAlerter"',
        '- "elastalert_modules.feishu_alert.FeishuAlert"',
        'corp_id: ww0a1b2c3d',
        'secret: s3cr3t-value',
        'agent_id: 1000002',
        'user_id: "@all"',
        'feishualert_botid: 0c7d1e2f',
        'feishualert_title: t',
        'feishualert_body: "{message}"',
        'feishualert_skip:',
        '  start: "01:00:00"',
        '  end: "09:00:00"',
        '',
      ].join('\n'),
    );
    expect(rule.alerters.map((a) => a.type)).toEqual(['wecom_app', 'feishu']);
    expect(rule.warnings).toEqual([]);
  });

  it('report a bad plugin option under its own name, with file and line', () => {
    const rule = load(
      [
        ...head,
        'alert: elastalert_modules.wechat_qiye_alert.WeChatAlerter',
        'corp_id: ww1',
        'secret: s3cr3t',
        'agent_id: abc',
        '',
      ].join('\n'),
    );
    // ElastAlert 2 loads it too (the plugin checks only that agent_id is there)
    expect(rule.warnings).toEqual([
      expect.stringMatching(
        /rule\.yaml:7:1: agent_id must be the application's AgentId.*fail until the option is fixed/,
      ),
    ]);
    expect(rule.alerters.map((a) => a.channel)).toEqual(['wecom_app (misconfigured)']);
  });
});
