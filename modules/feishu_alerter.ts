/**
 * Example custom alerter: a Feishu (Lark) group robot.
 *
 *   alert:
 *     - modules/feishu_alerter.ts          # or the dotted name modules.feishu_alerter.FeishuAlerter
 *   feishu_webhook: https://open.feishu.cn/open-apis/bot/v2/hook/<token>
 *   feishu_secret: <signing secret, optional>
 *
 * A module exports an alerter definition: `create(options, deps)` checks the rule's options and
 * returns an object with `send(content, signal)` that reports { ok: true } or
 * { ok: false, retryable, reason }. esalert does the rest (retries, rate limits, records).
 */
import { createHmac } from 'node:crypto';

interface Content {
  ruleName: string;
  title: string;
  body: string;
}

type Outcome = { ok: true } | { ok: false; retryable: boolean; retryAfterMs?: number; reason: string };

export const FeishuAlerter = {
  name: 'feishu',
  summary: 'Feishu (Lark) group robot',
  optionNames: ['feishu_webhook', 'feishu_secret', 'feishu_timeout'],
  create(options: Record<string, unknown>) {
    const url = options.feishu_webhook;
    if (typeof url !== 'string' || !/^https?:\/\//.test(url)) {
      throw Object.assign(
        new Error('must be the robot webhook URL (https://open.feishu.cn/open-apis/bot/v2/hook/...)'),
        { option: 'feishu_webhook' },
      );
    }
    const secret = typeof options.feishu_secret === 'string' ? options.feishu_secret : undefined;
    const timeoutMs = (typeof options.feishu_timeout === 'number' ? options.feishu_timeout : 10) * 1000;
    const token = url.split('/').pop() ?? '';
    return {
      type: 'feishu',
      channel: `feishu:${createHmac('sha1', 'channel').update(url).digest('hex').slice(0, 12)}`,
      ratePerMinute: 100,
      messageLimitBytes: 20_000,
      info: () => ({ type: 'feishu' }),
      secrets: () => [token, ...(secret ? [secret] : [])],
      async send(content: Content, signal: AbortSignal): Promise<Outcome> {
        const body: Record<string, unknown> = {
          msg_type: 'text',
          content: { text: `${content.title}\n${content.body}` },
        };
        if (secret) {
          // Feishu signs "<timestamp>\n<secret>" as the HMAC key over an empty message
          const timestamp = Math.floor(Date.now() / 1000);
          body.timestamp = String(timestamp);
          body.sign = createHmac('sha256', `${timestamp}\n${secret}`).update('').digest('base64');
        }
        let res: Response;
        try {
          res = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
            signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
          });
        } catch (err) {
          return { ok: false, retryable: true, reason: `Feishu robot unreachable: ${(err as Error).name}` };
        }
        if (res.status === 429 || res.status >= 500)
          return { ok: false, retryable: true, reason: `Feishu answered HTTP ${res.status}` };
        const reply = (await res.json().catch(() => ({}))) as {
          code?: number;
          StatusCode?: number;
          msg?: string;
        };
        const code = reply.code ?? reply.StatusCode ?? -1;
        if (code === 0) return { ok: true };
        // 9499: too many requests; 19021: bad signature; 19024: keyword check failed
        return {
          ok: false,
          retryable: code === 9499,
          reason: `Feishu code ${code}: ${reply.msg ?? 'rejected'}`,
        };
      },
    };
  },
};
