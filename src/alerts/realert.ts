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
