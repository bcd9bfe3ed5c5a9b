/**
 * Options that name a webhook by its id, token or key, which ElastAlert 2 puts into the vendor's
 * URL (lark_bot_id, webex_webhook_id, dingtalk_access_token, the WeCom robot's key). A full URL is
 * accepted too, for another region or host (open.larksuite.com), a plugin's URL option, or a test
 * receiver.
 */
import { OptionProblem } from './alerter.ts';

export function idOrUrl(option: string, value: string, base: string, what = 'an id'): string {
  const text = /^https?:\/\//i.test(value) ? value : `${base}${encodeURIComponent(value)}`;
  try {
    new URL(text);
  } catch {
    throw new OptionProblem(option, `must be ${what} or a URL such as ${base}<id>`);
  }
  return text;
}
