/**
 * The match a resolved notification is built from: the first match that was notified for the
 * key (without its related_logs), its timestamp moved to when the condition cleared, with resolved: true, fired_at,
 * resolved_at, duration (as Python prints a timedelta, e.g. 0:42:00) and duration_seconds.
 */
import { setField } from '../model/lookup.ts';
import type { Match } from '../model/match.ts';
import type { FiringEntry } from '../state/firing-store.ts';
import { timedeltaText, toIso } from '../util/time.ts';

export function resolvedMatch(entry: FiringEntry, clearedAt: number, timestampField: string): Match {
  const match: Match = structuredClone(entry.match);
  const at = Math.max(clearedAt, entry.firedAt);
  if (!setField(match, timestampField, toIso(at))) match[timestampField] = toIso(at);
  // the firing alert's log lines say nothing about the recovery
  for (const k of Object.keys(match)) if (k.startsWith('related_logs')) delete match[k];
  match.resolved = true;
  match.fired_at = toIso(entry.firedAt);
  match.resolved_at = toIso(at);
  match.duration = timedeltaText(Math.round((at - entry.firedAt) / 1000) * 1000);
  match.duration_seconds = Math.round((at - entry.firedAt) / 1000);
  return match;
}
