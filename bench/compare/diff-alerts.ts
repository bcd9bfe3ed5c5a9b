/**
 * Compares the alerts two engines wrote, by (rule name, query_key value, match timestamp):
 *   node bench/compare/diff-alerts.ts --rules <dir> <ea2-run.json> <esalert-run.json>
 * (the JSON that run-ea2.ts / run-esalert.ts print). The query_key comes from the rule file, a compound
 * one joined as ElastAlert 2 does (values with ", "); the timestamp is match_body[timestamp_field].
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import type { WrittenAlert } from './engine-run.ts';

export interface RuleKeys {
  type: string;
  queryKey?: string | string[];
  timestampField: string;
}

export interface AlertKey {
  rule: string;
  queryKey: string | null;
  timestamp: string | null;
}

export interface AlertDiff {
  equal: number;
  onlyInEa2: AlertKey[];
  onlyInEsalert: AlertKey[];
}

/** query_key and timestamp_field of each rule file (*.yaml, *.yml) in `dir`, by rule name. */
export function ruleKeysFromDir(dir: string): Map<string, RuleKeys> {
  const out = new Map<string, RuleKeys>();
  for (const f of readdirSync(dir).filter((n) => /\.ya?ml$/.test(n))) {
    const r = parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>;
    out.set(String(r.name), {
      type: String(r.type),
      ...(r.query_key !== undefined ? { queryKey: r.query_key as string | string[] } : {}),
      timestampField: typeof r.timestamp_field === 'string' ? r.timestamp_field : '@timestamp',
    });
  }
  return out;
}

/** A field of a match as ElastAlert 2's lookup_es_key finds it: flat dotted name, nested path, `.keyword` ignored. */
export function lookupField(doc: Record<string, unknown>, field: string): unknown {
  if (field in doc) return doc[field];
  const parts = field.split('.');
  for (let i = parts.length - 1; i >= 1; i--) {
    const head = parts.slice(0, i).join('.');
    const child = doc[head];
    if (child && typeof child === 'object' && !Array.isArray(child)) {
      const found = lookupField(child as Record<string, unknown>, parts.slice(i).join('.'));
      if (found !== undefined) return found;
    }
  }
  if (field.endsWith('.keyword')) return lookupField(doc, field.slice(0, -'.keyword'.length));
  return undefined;
}

function queryKeyValue(match: Record<string, unknown>, rule: RuleKeys | undefined): string | null {
  const qk = rule?.queryKey;
  if (qk === undefined) return null;
  // flatline puts the query_key value in `key`
  if (rule?.type === 'flatline' && match.key !== undefined) return String(match.key);
  const keys = Array.isArray(qk) ? qk : [qk];
  if (keys.length === 0) return null;
  if (keys.length === 1) {
    const v = lookupField(match, keys[0]!);
    return v === undefined || v === null ? null : String(v);
  }
  const joined = match[keys.join(',')];
  if (joined !== undefined) return String(joined);
  return keys.map((k) => String(lookupField(match, k) ?? 'None')).join(', ');
}

/** ElastAlert 2 writes "2024-05-14T01:38:00+00:00", esalert "2024-05-14T01:38:00Z": compare instants. */
function normalizeTimestamp(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  const ms = Date.parse(String(v));
  return Number.isNaN(ms) ? String(v) : new Date(ms).toISOString();
}

export function alertKey(a: WrittenAlert, rules: Map<string, RuleKeys>): AlertKey {
  const keys = rules.get(a.ruleName);
  return {
    rule: a.ruleName,
    queryKey: queryKeyValue(a.matchBody, keys),
    timestamp: normalizeTimestamp(lookupField(a.matchBody, keys?.timestampField ?? '@timestamp')),
  };
}

const keyString = (k: AlertKey) => JSON.stringify([k.rule, k.queryKey, k.timestamp]);

/** Multiset difference: an alert written twice by one engine and once by the other counts once as a difference. */
export function diffAlerts(
  ea2: WrittenAlert[],
  esalert: WrittenAlert[],
  rules: Map<string, RuleKeys>,
): AlertDiff {
  const pending = new Map<string, AlertKey[]>();
  for (const a of ea2) {
    const k = alertKey(a, rules);
    const list = pending.get(keyString(k)) ?? [];
    list.push(k);
    pending.set(keyString(k), list);
  }
  let equal = 0;
  const onlyInEsalert: AlertKey[] = [];
  for (const a of esalert) {
    const k = alertKey(a, rules);
    const list = pending.get(keyString(k));
    if (list && list.length > 0) {
      list.pop();
      equal++;
    } else onlyInEsalert.push(k);
  }
  const onlyInEa2 = [...pending.values()].flat();
  const order = (a: AlertKey, b: AlertKey) => keyString(a).localeCompare(keyString(b));
  return { equal, onlyInEa2: onlyInEa2.sort(order), onlyInEsalert: onlyInEsalert.sort(order) };
}

/** Per rule: alerts in both, only in ElastAlert 2, only in esalert. */
export function diffByRule(d: AlertDiff): Map<string, { onlyInEa2: number; onlyInEsalert: number }> {
  const out = new Map<string, { onlyInEa2: number; onlyInEsalert: number }>();
  const entry = (rule: string) =>
    out.get(rule) ?? out.set(rule, { onlyInEa2: 0, onlyInEsalert: 0 }).get(rule)!;
  for (const k of d.onlyInEa2) entry(k.rule).onlyInEa2++;
  for (const k of d.onlyInEsalert) entry(k.rule).onlyInEsalert++;
  return out;
}

export function formatDiff(d: AlertDiff): string {
  const row = (k: AlertKey) => `| ${k.rule} | ${k.queryKey ?? ''} | ${k.timestamp ?? '(none)'} |`;
  const table = (title: string, keys: AlertKey[]) =>
    keys.length === 0
      ? [`${title}: none`]
      : [
          `${title}: ${keys.length}`,
          '',
          '| rule | query_key | match timestamp |',
          '|---|---|---|',
          ...keys.map(row),
        ];
  const byRule = [...diffByRule(d)].sort(([a], [b]) => a.localeCompare(b));
  const summary =
    byRule.length === 0
      ? []
      : [
          '| rule | only in ElastAlert 2 | only in esalert |',
          '|---|---:|---:|',
          ...byRule.map(([rule, n]) => `| ${rule} | ${n.onlyInEa2} | ${n.onlyInEsalert} |`),
          '',
        ];
  return [
    `Alerts in both: ${d.equal}; only in ElastAlert 2: ${d.onlyInEa2.length}; only in esalert: ${d.onlyInEsalert.length}`,
    '',
    ...summary,
    ...table('Only in ElastAlert 2', d.onlyInEa2),
    '',
    ...table('Only in esalert', d.onlyInEsalert),
  ].join('\n');
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    options: { rules: { type: 'string' } },
    allowPositionals: true,
  });
  if (!values.rules || positionals.length !== 2) {
    console.error('usage: node bench/compare/diff-alerts.ts --rules <dir> <ea2-run.json> <esalert-run.json>');
    process.exit(2);
  }
  const alertsOf = (f: string) => (JSON.parse(readFileSync(f, 'utf8')) as { alerts: WrittenAlert[] }).alerts;
  const d = diffAlerts(alertsOf(positionals[0]!), alertsOf(positionals[1]!), ruleKeysFromDir(values.rules));
  console.log(formatDiff(d));
}
