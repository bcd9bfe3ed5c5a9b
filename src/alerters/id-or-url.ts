/**
 * Options that name a webhook by its id or token, which ElastAlert 2 puts into the vendor's URL
 * (lark_bot_id, webex_webhook_id). A full URL is accepted too, for another region or host
 * (open.larksuite.com) or a test receiver.
 */
import { OptionProblem } from './alerter.ts';

export function idOrUrl(option: string, value: string, base: string): string {
  const text = /^https?:\/\//i.test(value) ? value : `${base}${encodeURIComponent(value)}`;
  try {
    new URL(text);
  } catch {
    throw new OptionProblem(option, `must be an id or a URL such as ${base}<id>`);
  }
  return text;
}
