/**
 * Contract harnesses for the alerters that serve community plugins: WeCom application messages
 * (wecom_app) against a WeCom API server that issues and checks access tokens, and Feishu bots
 * (feishu) against a webhook that verifies the signature. Spread into contract.test.ts.
 */
import { startFeishuBotServer } from '../support/feishu-bot-server.ts';
import { startWecomAppServer } from '../support/wecom-app-server.ts';
import { type Harness, SLOW_MS, TIMEOUT_S } from './shared.ts';

const WECOM_APP_SECRET = 'wecom-app-secret-Hj3kL9mN2pQ7rS1tU5vW';
const FEISHU_HOOK_ID = '5f2e9c1a-7b3d-4e8f-a6c2-1d9b0e4f7a35';
const FEISHU_SECRET = 'feishu-sign-secret-8Kq2Lw9Zx4';

export const PLUGIN_HARNESSES: Record<string, () => Promise<Harness>> = {
  wecom_app: async () => {
    const server = await startWecomAppServer({
      corpId: 'ww0a1b2c3d4e5f6a7b',
      secret: WECOM_APP_SECRET,
      agentId: 1000002,
    });
    return {
      options: {
        wecom_app_base_url: server.url,
        wecom_app_corp_id: 'ww0a1b2c3d4e5f6a7b',
        wecom_app_secret: WECOM_APP_SECRET,
        wecom_app_agent_id: 1000002,
        wecom_app_to_user: ['zhangsan', 'lisi'],
        wecom_app_to_party: 2,
      },
      timeout: { wecom_app_timeout: TIMEOUT_S },
      secrets: [WECOM_APP_SECRET],
      transient: () => server.scriptSend({ body: { errcode: 45009, errmsg: 'api freq out of limit' } }),
      permanent: () =>
        server.scriptSend({ body: { errcode: 40056, errmsg: `invalid agentid for ${WECOM_APP_SECRET}` } }),
      slow: () => server.delayNext(SLOW_MS),
      received: () =>
        server.requests.map((r) => ({
          method: r.method,
          path: r.path,
          query: r.query,
          contentType: r.headers['content-type'],
          body: r.json,
        })),
      close: () => server.close(),
    };
  },
  feishu: async () => {
    const server = await startFeishuBotServer({ id: FEISHU_HOOK_ID, secret: FEISHU_SECRET });
    return {
      options: { feishu_webhook: server.hookUrl, feishu_secret: FEISHU_SECRET },
      timeout: { feishu_timeout: TIMEOUT_S },
      secrets: [FEISHU_HOOK_ID, FEISHU_SECRET],
      transient: () =>
        server.script({
          body: { code: 11232, msg: 'frequency limited psm[lark.oapi.app_platform_runtime]' },
        }),
      permanent: () =>
        server.script({ body: { code: 19021, msg: `sign match fail for ${FEISHU_SECRET}`, data: {} } }),
      slow: () => server.script({ delayMs: SLOW_MS }),
      received: () =>
        server.requests.map((r) => {
          const { timestamp, sign, ...body } = r.json ?? {};
          return {
            path: r.path.replace(FEISHU_HOOK_ID, '<hook id>'),
            contentType: r.contentType,
            verdict: r.code,
            signed: typeof timestamp === 'string' && typeof sign === 'string',
            body,
          };
        }),
      close: () => server.close(),
    };
  },
};
