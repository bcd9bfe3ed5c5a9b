/**
 * Compares the alerts two engines wrote, by (rule name, query_key value, match timestamp), and the
 * match fields of the alerts both wrote:
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

/** A match field whose value differs between the two engines' copies of the same alert. */
export interface FieldDiff {
  rule: string;
  field: string;
  /** How many alerts in both have a different value in this field. */
  alerts: number;
  /** The first such alert: its key and both values (JSON). */
  example: { key: AlertKey; ea2: string; esalert: string };
}

export interface AlertDiff {
  equal: number;
  onlyInEa2: AlertKey[];
  onlyInEsalert: AlertKey[];
  /** Fields of match_body that differ among the alerts in both. */
  fieldDiffs: FieldDiff[];
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

/** A match value in a comparable form: timestamps as ISO instants (ElastAlert 2 writes +00:00), keys sorted. */
function comparable(v: unknown): unknown {
  if (typeof v === 'string' && /^\d{4}-\d\d-\d\dT/.test(v)) {
    const ms = Date.parse(v);
    return Number.isNaN(ms) ? v : new Date(ms).toISOString();
  }
  if (Array.isArray(v)) return v.map(comparable);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, comparable((v as Record<string, unknown>)[k])]),
    );
  return v;
}

/** The match fields of two copies of one alert whose values differ, with both values (JSON). */
function differingFields(a: WrittenAlert, b: WrittenAlert): [string, string, string][] {
  const x = comparable(a.matchBody) as Record<string, unknown>;
  const y = comparable(b.matchBody) as Record<string, unknown>;
  const out: [string, string, string][] = [];
  for (const f of [...new Set([...Object.keys(x), ...Object.keys(y)])].sort()) {
    const [vx, vy] = [JSON.stringify(x[f]) ?? '(none)', JSON.stringify(y[f]) ?? '(none)'];
    if (vx !== vy) out.push([f, vx, vy]);
  }
  return out;
}

/**
 * Multiset difference: an alert written twice by one engine and once by the other counts once as a
 * difference. The alerts in both are paired in the order each engine wrote them, and their match
 * bodies compared field by field.
 */
export function diffAlerts(
  ea2: WrittenAlert[],
  esalert: WrittenAlert[],
  rules: Map<string, RuleKeys>,
): AlertDiff {
  const pending = new Map<string, { key: AlertKey; alert: WrittenAlert }[]>();
  for (const a of ea2) {
    const k = alertKey(a, rules);
    const list = pending.get(keyString(k)) ?? [];
    list.push({ key: k, alert: a });
    pending.set(keyString(k), list);
  }
  let equal = 0;
  const onlyInEsalert: AlertKey[] = [];
  const fields = new Map<string, FieldDiff>();
  for (const a of esalert) {
    const k = alertKey(a, rules);
    const twin = pending.get(keyString(k))?.shift();
    if (!twin) {
      onlyInEsalert.push(k);
      continue;
    }
    equal++;
    for (const [field, x, y] of differingFields(twin.alert, a)) {
      const id = JSON.stringify([a.ruleName, field]);
      const d = fields.get(id);
      if (d) d.alerts++;
      else fields.set(id, { rule: a.ruleName, field, alerts: 1, example: { key: k, ea2: x, esalert: y } });
    }
  }
  const onlyInEa2 = [...pending.values()].flat().map((p) => p.key);
  const order = (a: AlertKey, b: AlertKey) => keyString(a).localeCompare(keyString(b));
  const fieldDiffs = [...fields.values()].sort(
    (a, b) => a.rule.localeCompare(b.rule) || a.field.localeCompare(b.field),
  );
  return { equal, onlyInEa2: onlyInEa2.sort(order), onlyInEsalert: onlyInEsalert.sort(order), fieldDiffs };
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
  const cell = (v: string) => `\`${v.length > 80 ? `${v.slice(0, 77)}...` : v}\``.replaceAll('|', '\\|');
  const fieldTable =
    d.fieldDiffs.length === 0
      ? ['Match fields that differ among the alerts in both: none']
      : [
          'Match fields that differ among the alerts in both (first example):',
          '',
          '| rule | field | alerts | query_key | match timestamp | ElastAlert 2 | esalert |',
          '|---|---|---:|---|---|---|---|',
          ...d.fieldDiffs.map(
            (f) =>
              `| ${f.rule} | ${f.field} | ${f.alerts} | ${f.example.key.queryKey ?? ''} | ${f.example.key.timestamp ?? ''} | ${cell(f.example.ea2)} | ${cell(f.example.esalert)} |`,
          ),
        ];
  return [
    `Alerts in both: ${d.equal}; only in ElastAlert 2: ${d.onlyInEa2.length}; only in esalert: ${d.onlyInEsalert.length}`,
    '',
    ...summary,
    ...table('Only in ElastAlert 2', d.onlyInEa2),
    '',
    ...table('Only in esalert', d.onlyInEsalert),
    '',
    ...fieldTable,
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
