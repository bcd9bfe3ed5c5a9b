/** What an alerter is given: the alert's title, body and each match's text, built for that alerter. */
import type { AlertContent, Alerter } from '../alerters/alerter.ts';
import type { RuntimeRule } from '../engine/runtime-rule.ts';
import { alertBody, alertTitle, type JinjaRenderer, matchString } from '../format/alert-text.ts';
import type { Match } from '../model/match.ts';

/**
 * The content for the rule's alerter at `index`. Its text options are the rule's options with
 * that alerter's inline options over them (CompiledRule.alertOptions). Event text is escaped for
 * the alerter's textFormat (markdown, html).
 */
export function alertContent(
  rt: RuntimeRule,
  index: number,
  alerter: Pick<Alerter, 'textFormat'>,
  matches: Match[],
  renderJinja: JinjaRenderer | undefined,
): AlertContent {
  const options = rt.rule.alertOptions[index] ?? rt.rule.alertOptions[0]!;
  const src = {
    raw: options,
    name: rt.rule.name,
    matchText: (m: Match) => rt.ruleType.matchText(m),
    ...(rt.rule.jinjaTemplate !== undefined ? { jinjaTemplate: rt.rule.jinjaTemplate } : {}),
    ...(renderJinja ? { renderJinja } : {}),
    ...(alerter.textFormat ? { format: alerter.textFormat } : {}),
  };
  return {
    ruleName: rt.rule.name,
    options,
    matches,
    title: alertTitle(src, matches),
    body: alertBody(src, matches),
    matchTexts: matches.map((m) => matchString(src, m)),
  };
}
