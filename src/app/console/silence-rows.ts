/**
 * Silences as the console shows them: which rule a silence key belongs to and which query_key
 * value it holds back. Keys are written three ways (alerts/realert.ts):
 *   `<rule name>._silence`         the whole rule, set by hand (`esalert silence`, the console)
 *   `<realert_key>`                the whole rule, after an alert (realert)
 *   `<realert_key>.<query_key>`    one query_key value, by hand or after an alert
 * realert_key defaults to the rule's name and may be shared by several rules.
 */
import { ruleSilenceKey } from '../../alerts/realert.ts';
import type { SilenceKind, SilenceRow } from '../../http/console/web/api-types.ts';
import type { CompiledRule } from '../../compile/compiled-rule.ts';
import type { StoredSilence } from '../../state/history.ts';
import { parseTimestamp } from '../../util/time.ts';

const MANUAL_SUFFIX = ruleSilenceKey('');

export interface SilenceTarget {
  rule: string;
  queryKey: string | undefined;
}

export interface SilenceKeys {
  /** The rules a key holds back (several when they share realert_key), with the query_key value. */
  resolve(key: string): SilenceTarget[];
}

export function silenceKeys(rules: Iterable<CompiledRule>): SilenceKeys {
  const byName = new Set<string>();
  const byRealertKey = new Map<string, string[]>();
  for (const r of rules) {
    byName.add(r.name);
    const list = byRealertKey.get(r.options.realertKey) ?? [];
    list.push(r.name);
    byRealertKey.set(r.options.realertKey, list);
  }
  return {
    resolve(key) {
      if (key.endsWith(MANUAL_SUFFIX)) {
        const name = key.slice(0, -MANUAL_SUFFIX.length);
        if (byName.has(name)) return [{ rule: name, queryKey: undefined }];
      }
      const whole = byRealertKey.get(key);
      if (whole) return whole.map((rule) => ({ rule, queryKey: undefined }));
      // the longest realert_key that is a prefix up to a dot: "a.b.c" tries "a.b", then "a"
      for (let dot = key.lastIndexOf('.'); dot > 0; dot = key.lastIndexOf('.', dot - 1)) {
        const names = byRealertKey.get(key.slice(0, dot));
        if (names) return names.map((rule) => ({ rule, queryKey: key.slice(dot + 1) }));
      }
      return [];
    },
  };
}

export function silenceKind(s: Pick<StoredSilence, 'key' | 'author'>): SilenceKind {
  return s.author !== undefined || s.key.endsWith(MANUAL_SUFFIX) ? 'manual' : 'realert';
}

export function silenceRow(s: StoredSilence, target: SilenceTarget | undefined, now: number): SilenceRow {
  return {
    id: s.id,
    key: s.key,
    rule: target?.rule ?? null,
    queryKey: target?.queryKey ?? null,
    until: s.until,
    at: s.at ?? null,
    author: s.author ?? null,
    reason: s.reason ?? null,
    kind: silenceKind(s),
    active: (parseTimestamp(s.until) ?? 0) > now,
  };
}
