/**
 * The one reader of the alerters' network options (transport.ts): which option names it reads,
 * how proxies, CA files and timeouts become request options and secrets; and, end to end, that
 * alerters which used to read proxies their own way (WeCom, Feishu, post) take host:port through a
 * real proxy now.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OptionProblem } from '../../../src/alerters/alerter.ts';
import { feishuAlerter } from '../../../src/alerters/feishu.ts';
import { postAlerter } from '../../../src/alerters/post.ts';
import { transport } from '../../../src/alerters/transport.ts';
import { wecomAlerter } from '../../../src/alerters/wecom.ts';
import type { AlerterDefinition } from '../../../src/alerters/alerter.ts';
import type { Doc } from '../../../src/model/lookup.ts';
import { type Receiver, startReceiver } from '../../integration/support/http-receiver.ts';
import { alertContent, captureLog, deps, signal } from './support/alert-content.ts';
import { type HttpProxy, startHttpProxy } from './support/http-proxy.ts';

const ruleDir = '/etc/esalert/rules';

describe('transport()', () => {
  it('reads <prefix>_timeout, _proxy, _proxy_login, _proxy_pass, _ca_certs, _ignore_ssl_errors', () => {
    const t = transport(
      {
        slack_timeout: 2.5,
        slack_proxy: 'proxy.example:3128',
        slack_proxy_login: 'me',
        slack_proxy_pass: 'p@ss word',
        slack_ca_certs: 'certs/ca.pem',
        slack_ignore_ssl_errors: true,
      },
      'slack',
      { ruleDir },
    );
    expect(t.http).toEqual({
      timeoutMs: 2500,
      proxy: 'http://me:p%40ss%20word@proxy.example:3128/',
      caCerts: '/etc/esalert/rules/certs/ca.pem',
      ignoreSslErrors: true,
    });
    expect(t.secrets).toEqual(expect.arrayContaining(['p@ss word']));
  });

  it('true/false CA options name no file; an absolute CA path stays; a URL proxy stays a URL', () => {
    expect(transport({ x_timeout: 1, x_ca_certs: false }, 'x', { ruleDir }).http).toEqual({
      timeoutMs: 1000,
    });
    expect(transport({ x_timeout: 1, x_ca_certs: true }, 'x', { ruleDir }).http).toEqual({ timeoutMs: 1000 });
    expect(
      transport({ x_timeout: 1, x_ca_certs: '/ca.pem', x_proxy: 'https://p.example:8443' }, 'x', { ruleDir })
        .http,
    ).toEqual({ timeoutMs: 1000, caCerts: '/ca.pem', proxy: 'https://p.example:8443/' });
  });

  it('reads other names where ElastAlert 2 has them, and nothing an alerter does not declare', () => {
    const o = {
      alerta_request_timeout: 3,
      alerta_timeout: 86400,
      alerta_api_skip_ssl: true,
      alerta_proxy: 'p:1',
    };
    expect(
      transport(
        o,
        'alerta',
        { ruleDir },
        { timeout: 'alerta_request_timeout', ignore_ssl_errors: 'alerta_api_skip_ssl' },
      ).http,
    ).toEqual({ timeoutMs: 3000, ignoreSslErrors: true, proxy: 'http://p:1/' });
    // without a timeout option the default is 10 s; unset options add nothing
    expect(transport({}, 'y', { ruleDir })).toEqual({ http: { timeoutMs: 10_000 }, secrets: [] });
  });

  it('a proxy that is no proxy names its option', () => {
    let problem: unknown;
    try {
      transport({ wecom_proxy: 'http://[bad' }, 'wecom', { ruleDir });
    } catch (err) {
      problem = err;
    }
    expect(problem).toBeInstanceOf(OptionProblem);
    expect((problem as OptionProblem).option).toBe('wecom_proxy');
  });
});

describe('proxies given as host:port, through a real proxy', () => {
  let rx: Receiver;
  let proxy: HttpProxy;
  beforeAll(async () => {
    rx = await startReceiver();
    proxy = await startHttpProxy();
  });
  afterAll(async () => {
    await rx.close();
    await proxy.close();
  });

  it.each<[string, AlerterDefinition, () => Doc]>([
    ['wecom', wecomAlerter, () => ({ wecom_webhook: `${rx.url}/cgi-bin/webhook/send?key=k-123456` })],
    [
      'feishu',
      feishuAlerter,
      () => {
        rx.script({ body: { code: 0, msg: 'success' } });
        return { feishu_webhook: `${rx.url}/open-apis/bot/v2/hook/0f9e8d7c` };
      },
    ],
    ['http_post', postAlerter, () => ({ http_post_url: `${rx.url}/post` })],
  ])('%s_proxy', async (prefix, def, options) => {
    const rule = {
      name: 'proxied',
      type: 'any',
      ...options(),
      [`${prefix}_proxy`]: proxy.url.replace('http://', ''),
    };
    const before = proxy.seen.length;
    const outcome = await def.create(rule, deps(captureLog())).send(alertContent(rule, [{ a: 1 }]), signal());
    expect(outcome).toEqual({ ok: true });
    expect(proxy.seen.slice(before).map((s) => new URL(s.target).host)).toEqual([new URL(rx.url).host]);
  });
});
