/**
 * The index expression a query searches: the rule's `index` as written (comma lists and wildcards
 * pass through), or with use_strftime_index one name per day (per hour with %H) covering the
 * query window, as ElastAlert 2 computes them.
 */
import { EsalertError } from '../errors/esalert-error.ts';
import { strftime } from '../util/time.ts';

export interface IndexOptions {
  index: string;
  useStrftimeIndex: boolean;
  searchExtraIndex: boolean;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export function indexFor(o: IndexOptions, startMs?: number, endMs?: number): string {
  if (!o.useStrftimeIndex) return o.index;
  if (startMs === undefined || endMs === undefined) return strftimeWildcard(o.index);
  return formatIndex(o.index, startMs, endMs, o.searchExtraIndex).join(',');
}

/** "logstash-%Y.%m.%d" -> "logstash-*" (everything from the first to the last directive). */
export function strftimeWildcard(pattern: string): string {
  const first = pattern.indexOf('%');
  const last = pattern.lastIndexOf('%');
  if (first < 0) return pattern;
  return `${pattern.slice(0, first)}*${pattern.slice(last + 2)}`;
}

export function formatIndex(pattern: string, startMs: number, endMs: number, addExtra = false): string[] {
  const step = pattern.includes('%H') ? HOUR : DAY;
  let start = startMs;
  const end = Math.floor(endMs / step) * step;
  if (addExtra) start -= step;
  const names = new Set<string>([strftime(pattern, start)]);
  while (start <= end) {
    start += step;
    names.add(strftime(pattern, start));
  }
  if (addExtra && names.has(pattern)) {
    throw new EsalertError(
      'RULE_INVALID',
      `You cannot use a static index ${pattern} with search_extra_index`,
    );
  }
  return [...names].sort();
}
