/**
 * The alert document: what the alert log records for a match before anything is sent, under an
 * id derived from the match, so that a window evaluated again (after a crash) finds it and does
 * not alert twice.
 */
import { createHash } from 'node:crypto';
import type { Alerter } from '../alerters/alerter.ts';
import type { RuntimeRule } from '../engine/runtime-rule.ts';
import { lookupField } from '../model/lookup.ts';
import type { Match } from '../model/match.ts';
import type { AlertDoc } from '../state/writeback.ts';
import { redactDeep } from '../util/redact.ts';
import { toIso } from '../util/time.ts';

/** An id for a match that is the same each time the same window is evaluated again. */
export function alertId(ruleName: string, match: Match, tsField: string, seq: number): string {
  const identity = JSON.stringify([
    ruleName,
    lookupField(match, tsField) ?? null,
    match._id ?? null,
    match.key ?? null,
    match.query_key ?? null,
    seq,
  ]);
  return createHash('sha1').update(identity).digest('base64url').slice(0, 20);
}

/** The prefix of a resolved notification's id (send_resolved): the outbox tells them from firing alerts. */
const RESOLVED_ID_PREFIX = 'resolved-';

/**
 * A resolved notification's id: one per episode of a key (when it fired, when it cleared), so
 * that an episode resolved again (by a process that did not save its firing state) finds it.
 */
export function resolvedAlertId(
  ruleName: string,
  key: string,
  firedAt: unknown,
  resolvedAt: unknown,
): string {
  const identity = JSON.stringify([ruleName, key, firedAt ?? null, resolvedAt ?? null]);
  return RESOLVED_ID_PREFIX + createHash('sha1').update(identity).digest('base64url').slice(0, 20);
}

export const isResolvedAlertId = (id: string): boolean => id.startsWith(RESOLVED_ID_PREFIX);

/**
 * Alert ids for the matches of this process: a match seen again in the same process (two
 * identical matches of one window) gets the next sequence number, so each is recorded.
 */
export function createAlertIds(): (rt: RuntimeRule, match: Match) => string {
  const seqs = new Map<string, number>();
  return (rt, match) => {
    const tsField = rt.rule.options.timestampField;
    const base = alertId(rt.rule.name, match, tsField, 0);
    const n = seqs.get(base) ?? 0;
    seqs.set(base, n + 1);
    if (seqs.size > 100_000) seqs.clear();
    return n === 0 ? base : alertId(rt.rule.name, match, tsField, n);
  };
}

/** ElastAlert 2's alert document for a match, secrets of the rule's alerters redacted. */
export function alertDocument(
  rt: RuntimeRule,
  alerters: readonly Alerter[],
  match: Match,
  alertTime: number,
  now: number,
): AlertDoc {
  const secrets = alerters.flatMap((a) => a.secrets());
  const doc: AlertDoc = {
    match_body: redactDeep(match, secrets),
    rule_name: rt.rule.name,
    alert_info: redactDeep(alerters[0]?.info() ?? {}, secrets),
    alert_sent: false,
    alert_time: toIso(alertTime),
    '@timestamp': toIso(now),
  };
  const matchTime = lookupField(match, rt.rule.options.timestampField);
  if (matchTime !== undefined) doc.match_time = matchTime;
  if (rt.rule.options.includeMatchInRoot) {
    for (const [k, v] of Object.entries(match)) if (!k.startsWith('_')) doc[k] = redactDeep(v, secrets);
  }
  return doc;
}
