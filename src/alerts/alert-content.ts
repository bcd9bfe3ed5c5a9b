/** What an alerter is given: the alert's title, body and each match's text, built for that alerter. */
import type { AlertContent } from '../alerters/alerter.ts';
import type { RuntimeRule } from '../engine/runtime-rule.ts';
import { alertBody, alertTitle, type JinjaRenderer, matchString } from '../format/alert-text.ts';
import type { Match } from '../model/match.ts';

/**
 * The content for the rule's alerter at `index`. Its text options are the rule's options with
 * that alerter's inline options over them (CompiledRule.alertOptions).
 */
export function alertContent(
  rt: RuntimeRule,
  index: number,
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
