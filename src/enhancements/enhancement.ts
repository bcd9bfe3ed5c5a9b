/**
 * Match enhancements (ElastAlert 2's match_enhancements): functions that add to or rewrite a
 * match before it is alerted, or drop it. Built in: TimeEnhancement (pretty timestamp); others
 * come from modules/.
 */
import type { z } from 'zod';
import type { Match } from '../model/match.ts';
import { lookupField } from '../model/lookup.ts';
import { parseTimestamp, prettyTimestamp } from '../util/time.ts';

export interface EnhancementContext {
  rule: { name: string; timestampField: string; timezone: string; options: Record<string, unknown> };
}

export interface Enhancement {
  name: string;
  /** Schema of the rule options the enhancement reads: checked when the rule loads. */
  options?: z.ZodType;
  /** Every rule option the enhancement reads (no unknown-option warning for them). */
  optionNames?: readonly string[];
  /** Returns the (possibly changed) match, or null to drop it. May be async. */
  process(
    match: Match,
    ctx: EnhancementContext,
  ): Match | null | undefined | Promise<Match | null | undefined>;
}

/** ElastAlert 2's TimeEnhancement: the match timestamp as "%Y-%m-%d %H:%M %Z" in the rule's time zone. */
export const timeEnhancement: Enhancement = {
  name: 'TimeEnhancement',
  process(match, ctx) {
    const ts = parseTimestamp(lookupField(match, ctx.rule.timestampField));
    if (ts !== undefined) match[ctx.rule.timestampField] = prettyTimestamp(ts, ctx.rule.timezone);
    return match;
  },
};

export const BUILTIN_ENHANCEMENTS: ReadonlyMap<string, Enhancement> = new Map([
  ['TimeEnhancement', timeEnhancement],
  ['elastalert.enhancements.TimeEnhancement', timeEnhancement],
]);
