/**
 * Realert and exponential realert: after an alert for a key, further matches for it are
 * suppressed until `until`. With exponential_realert the wait doubles while alerts keep coming
 * (up to exponential_realert) and shrinks again after quiet periods; ElastAlert 2's arithmetic,
 * in whole seconds.
 */
import type { SilenceEntry } from '../state/writeback.ts';

const seconds = (ms: number) => Math.floor(ms / 1000);

export function nextAlertTime(
  realertMs: number,
  exponentialMs: number | undefined,
  previous: SilenceEntry | undefined,
  now: number,
): SilenceEntry {
  if (!previous || !exponentialMs) return { until: now + realertMs, exponent: 0 };
  const realert = seconds(realertMs);
  let diff = seconds(now - previous.until);
  let exponent = previous.exponent;
  if (diff < realert * 2 ** exponent) {
    exponent += 1;
  } else {
    while (diff > realert * 2 ** exponent && exponent > 0) {
      diff -= realert * 2 ** exponent;
      exponent -= 1;
    }
  }
  const waitMs = realert * 2 ** exponent * 1000;
  if (waitMs >= exponentialMs) return { until: now + exponentialMs, exponent: exponent - 1 };
  return { until: now + waitMs, exponent };
}

/** The key of a silence over a whole rule (`elastalert --silence`, `esalert silence set` without a value). */
export function ruleSilenceKey(ruleName: string): string {
  return `${ruleName}._silence`;
}

/** The silence key of a match: realert_key, plus "." and the query key value when there is one. */
export function silenceKey(realertKey: string, queryKeyValue: string | undefined): string {
  return queryKeyValue === undefined ? realertKey : `${realertKey}.${queryKeyValue}`;
}

/**
 * How long an ended silence is remembered: exponential realert reads the last one to decide the
 * next wait, and a wait never needs a silence that ended longer ago than twice the longest wait.
 */
export const SILENCE_MEMORY_MS = 30 * 86_400_000;
/** The most silences kept in memory; beyond, those that ended first are forgotten. */
export const MAX_SILENCES = 100_000;

/**
 * Forgets silences the engine no longer needs: ended longer ago than SILENCE_MEMORY_MS, ended and
 * read from the store (read again when needed), and the earliest-ending ones beyond MAX_SILENCES.
 * Returns how many were dropped.
 */
export function pruneSilences(
  cache: Map<string, SilenceEntry>,
  now: number,
  limits: { memoryMs?: number; max?: number } = {},
): number {
  const memoryMs = limits.memoryMs ?? SILENCE_MEMORY_MS;
  const max = limits.max ?? MAX_SILENCES;
  const before = cache.size;
  for (const [key, e] of cache)
    if (now - e.until > memoryMs || (e.fromStore && now >= e.until)) cache.delete(key);
  if (cache.size > max) {
    const byEnd = [...cache].sort((a, b) => a[1].until - b[1].until);
    for (const [key] of byEnd.slice(0, cache.size - max)) cache.delete(key);
  }
  return before - cache.size;
}
