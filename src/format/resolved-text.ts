/**
 * The default texts of a resolved notification (send_resolved): a title prefix and a first line
 * that say RESOLVED, with 已恢复 for the channels Chinese-speaking teams use (DingTalk, WeCom,
 * Feishu/Lark, YZJ), and the paragraph that stands in for the rule type's text.
 */
import type { Match } from '../model/match.ts';
import { parseTimestamp, prettyTimestamp } from '../util/time.ts';

/** Alerter types whose readers get the Chinese word as well. */
const CHINESE_CHANNELS = new Set(['dingtalk', 'wecom', 'wecom_app', 'feishu', 'feishu_bot', 'lark', 'yzj']);

export function isResolvedMatch(match: Match): boolean {
  return match.resolved === true;
}

/** "RESOLVED", or "已恢复 RESOLVED" for DingTalk, WeCom, Feishu and the like. */
export function resolvedWord(alerterType: string | undefined): string {
  return alerterType !== undefined && CHINESE_CHANNELS.has(alerterType) ? '已恢复 RESOLVED' : 'RESOLVED';
}

export function resolvedTitle(title: string, alerterType: string | undefined): string {
  return `[${resolvedWord(alerterType)}] ${title}`;
}

/** The paragraph in place of the rule type's text: when it fired, when it cleared, how long it lasted. */
export function resolvedParagraph(
  match: Match,
  alerterType: string | undefined,
  timeZone: string,
  prettyFormat: string | undefined,
): string {
  const when = (v: unknown) => {
    const ms = parseTimestamp(v);
    return ms === undefined ? String(v) : prettyTimestamp(ms, timeZone, prettyFormat);
  };
  const fired = when(match.fired_at);
  const resolved = when(match.resolved_at);
  const duration = String(match.duration);
  const english = `The condition cleared at ${resolved}. It fired at ${fired} and lasted ${duration}.\n`;
  const chinese =
    alerterType !== undefined && CHINESE_CHANNELS.has(alerterType)
      ? `告警已于 ${resolved} 恢复，触发于 ${fired}，持续 ${duration}。\n`
      : '';
  return `${chinese}${english}\n`;
}
