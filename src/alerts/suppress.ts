/**
 * The first stage of the alert path: silence and realert. A match whose key (realert_key plus
 * its query_key value) or whole rule is silenced is held back; otherwise, with realert, the
 * silence it sets for further matches of its key is decided here (and recorded once the alert
 * is, see realert-silence.ts).
 *
 * Failure policy: a silence that cannot be read fails the run (the window is evaluated again
 * next run); a match is never alerted because its silence could not be checked.
 */
import type { Logger } from 'pino';
import type { RuntimeRule } from '../engine/runtime-rule.ts';
import { ruleSilenceKey, silenceKey, nextAlertTime } from './realert.ts';
import type { Clock } from '../model/clock.ts';
import { lookupField, pythonStr } from '../model/lookup.ts';
import type { Match } from '../model/match.ts';
import type { SilenceEntry, SilenceStore } from '../state/writeback.ts';
import { toIso } from '../util/time.ts';

export interface RealertSilence {
  key: string;
  entry: SilenceEntry;
}

export type SuppressDecision =
  { silenced: true; key: string; until: number } | { silenced: false; silence: RealertSilence | undefined };

export interface SuppressDeps {
  clock: Clock;
  silences: Pick<SilenceStore, 'silence'>;
}

/** What one run's matches share: the silences read from the store during the run. */
export interface SuppressRun {
  checked: Set<string>;
  logger: Logger;
}

export interface Suppress {
  check(rt: RuntimeRule, match: Match, run: SuppressRun): Promise<SuppressDecision>;
  /** Drops what this process remembers of a silence key, so that a lifted silence ends at once. */
  forget(key: string): void;
}

/** The query key value that keys silences: flatline's `key`, else the match's query_key field. */
export function queryKeyValue(rt: RuntimeRule, match: Match): string | undefined {
  const own = rt.ruleType.silenceKeyValue?.(match);
  if (own !== undefined) return own;
  const qk = rt.rule.options.queryKey;
  if (!qk) return undefined;
  const v = lookupField(match, qk);
  return v === undefined ? undefined : pythonStr(v);
}

export function createSuppress(deps: SuppressDeps): Suppress {
  /** Silence entries by key, shared by all rules (realert_key may be shared). */
  const cache = new Map<string, SilenceEntry>();

  async function silencedUntil(key: string, checked: Set<string>): Promise<number | undefined> {
    const now = deps.clock.now();
    const cached = cache.get(key);
    // A silence this process set stands until it ends; one read from the store is read again once
    // per run, so lifting it (`esalert silence lift`) takes effect without a restart.
    if (cached && now < cached.until && (!cached.fromStore || checked.has(key))) return cached.until;
    if (checked.has(key)) return undefined;
    checked.add(key);
    const stored = await deps.silences.silence(key);
    if (!stored) {
      if (cached?.fromStore) cache.delete(key);
      return undefined;
    }
    // keep the exponent we computed ourselves if we have one (ElastAlert 2 does the same)
    const own = cached && !cached.fromStore && cached.until >= stored.until;
    cache.set(
      key,
      own ? cached : { until: stored.until, exponent: cached?.exponent ?? stored.exponent, fromStore: true },
    );
    return now < stored.until ? stored.until : undefined;
  }

  return {
    async check(rt, match, run) {
      const o = rt.rule.options;
      const key = silenceKey(o.realertKey, queryKeyValue(rt, match));
      const until =
        (await silencedUntil(key, run.checked)) ??
        (await silencedUntil(ruleSilenceKey(rt.rule.name), run.checked));
      if (until !== undefined) {
        run.logger.debug({ key, until: toIso(until) }, 'match suppressed: silenced');
        return { silenced: true, key, until };
      }
      if (o.realertMs <= 0) return { silenced: false, silence: undefined };
      const entry = nextAlertTime(o.realertMs, o.exponentialRealertMs, cache.get(key), deps.clock.now());
      cache.set(key, entry);
      return { silenced: false, silence: { key, entry } };
    },
    forget: (key) => void cache.delete(key),
  };
}
