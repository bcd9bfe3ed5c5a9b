/** What an alerter is given: the alert's title, body and each match's text, built for that alerter. */
import type { AlertContent, Alerter } from '../alerters/alerter.ts';
import type { RuntimeRule } from '../engine/runtime-rule.ts';
import { alertBody, alertTitle, type JinjaRenderer, matchString } from '../format/alert-text.ts';
import { trimRelatedLogsToFit } from '../format/related-logs-block.ts';
import { isResolvedMatch, resolvedParagraph, resolvedTitle, resolvedWord } from '../format/resolved-text.ts';
import type { Doc } from '../model/lookup.ts';
import type { Match } from '../model/match.ts';

/**
 * A resolved notification's body says RESOLVED first; a rule's own text (alert_text_only,
 * Jinja) is preceded by when the alert fired and cleared, which the default text has instead of
 * the rule type's paragraph.
 */
function resolvedBody(
  body: string,
  options: Doc,
  match: Match,
  alerterType: string | undefined,
  o: { timezone: string; prettyFormat: string | undefined },
): string {
  const word = `[${resolvedWord(alerterType)}]`;
  const own = options.alert_text_type === 'alert_text_only' || options.alert_text_type === 'alert_text_jinja';
  if (!own) return `${word} ${body}`;
  return `${word} ${resolvedParagraph(match, alerterType, o.timezone, o.prettyFormat)}${body}`;
}

/**
 * The content for the rule's alerter at `index`. Its text options are the rule's options with
 * that alerter's inline options over them (CompiledRule.alertOptions). Event text is escaped for
 * the alerter's textFormat (markdown, html). A resolved notification (send_resolved) says so in
 * its title and first line, and the rule type's paragraph gives way to when the alert fired and
 * cleared.
 */
export function alertContent(
  rt: RuntimeRule,
  index: number,
  alerter: Pick<Alerter, 'textFormat'>,
  matches: Match[],
  renderJinja: JinjaRenderer | undefined,
): AlertContent {
  const options = rt.rule.alertOptions[index] ?? rt.rule.alertOptions[0]!;
  const resolved = matches.length > 0 && matches.every(isResolvedMatch);
  const alerterType = rt.rule.options.alerts[index]?.name;
  const o = rt.rule.options;
  const src = {
    raw: options,
    name: rt.rule.name,
    matchText: (m: Match) =>
      isResolvedMatch(m)
        ? resolvedParagraph(m, alerterType, o.timezone, o.prettyFormat)
        : rt.ruleType.matchText(m),
    ...(rt.rule.jinjaTemplate !== undefined ? { jinjaTemplate: rt.rule.jinjaTemplate } : {}),
    ...(renderJinja ? { renderJinja } : {}),
    ...(alerter.textFormat ? { format: alerter.textFormat } : {}),
  };
  const title = alertTitle(src, matches);
  // related_logs give up their oldest lines when the message would not fit the channel
  const shown = trimRelatedLogsToFit(matches, rt.rule.alerters[index]?.messageLimitBytes, (ms) =>
    alertBody(src, ms),
  );
  const body = alertBody(src, shown);
  return {
    ruleName: rt.rule.name,
    options,
    matches,
    title: resolved ? resolvedTitle(title, alerterType) : title,
    body: resolved ? resolvedBody(body, options, matches[0]!, alerterType, o) : body,
    matchTexts: shown.map((m) => matchString(src, m)),
  };
}
