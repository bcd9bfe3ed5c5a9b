/**
 * `esalert test FILE...`: unit tests for rules, for the CI of a rules repository. A test file
 * names rule files, gives events (inline, generated with `repeat`, or from a file) and says which
 * alerts must come out: how many, for which query_key values, with which words in their text.
 * Rules run exactly as `run` runs them, over the events in memory; nothing is sent.
 *
 *   rule_files: [../rules/crashloop.yaml]
 *   tests:
 *     - name: a pod restarting 10 times in 5 minutes alerts once
 *       events:
 *         - repeat: 10
 *           every: 30s
 *           from: 2024-05-14T08:00:00Z
 *           doc: {event: {reason: BackOff, involvedObject: {name: web-1, namespace: prod}}}
 *       expect:
 *         - rule: crashloop
 *           alerts: 1
 *           query_keys: [web-1]
 *           text_contains: [web-1]
 */
import { dirname, resolve } from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import { problemsError, problemsFromZod } from '../config/fields.ts';
import type { EnvLookup } from '../config/interpolate.ts';
import { readYamlFile, type YamlSource } from '../config/yaml-source.ts';
import { EsalertError, errorMessage } from '../errors/esalert-error.ts';
import { loadDocuments, spanWindow, timeSpan } from '../query/memory/load-documents.ts';
import { createMemorySearchPort, type MemoryDocument } from '../query/memory/memory-search-port.ts';
import type { CompiledRule } from '../compile/compiled-rule.ts';
import { type Doc, lookupField, pythonStr, setField } from '../model/lookup.ts';
import { parseTimestamp, toIso } from '../util/time.ts';
import { catalogs } from './catalogs.ts';
import { FakeClock } from '../model/clock.ts';
import { dryRun } from './dry-run.ts';
import { parseSilenceDuration } from './silence.ts';
import { loadToolConfig } from './tool-config.ts';
import { loadRuleFile } from '../compile/compile-rule.ts';

const timestamp = z.union([z.string(), z.date()]).transform((v, ctx) => {
  const ms = v instanceof Date ? v.getTime() : parseTimestamp(v);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: 'must be an ISO 8601 time such as 2024-05-14T08:00:00Z' });
    return z.NEVER;
  }
  return ms;
});

const every = z.union([z.string(), z.number()]).transform((v, ctx) => {
  if (typeof v === 'number') return v * 1000;
  try {
    return parseSilenceDuration(v);
  } catch {
    ctx.addIssue({
      code: 'custom',
      message: 'must be a duration such as 30s, 5m or 1h (a number is seconds)',
    });
    return z.NEVER;
  }
});

const repeatEvents = z.strictObject({
  repeat: z.number().int().positive(),
  every,
  from: timestamp,
  doc: z.record(z.string(), z.unknown()).default({}),
});

const stringOrList = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : [v]));

const expectation = z.strictObject({
  rule: z.string().optional(),
  alerts: z.number().int().nonnegative().optional(),
  matches: z.number().int().nonnegative().optional(),
  query_keys: z.array(z.union([z.string(), z.number(), z.boolean()]).transform(String)).optional(),
  text_contains: stringOrList.optional(),
  text_not_contains: stringOrList.optional(),
  title_contains: stringOrList.optional(),
});

const testCase = z.strictObject({
  name: z.string(),
  now: timestamp.optional(),
  window: z.strictObject({ start: timestamp.optional(), end: timestamp.optional() }).optional(),
  events: z.array(z.union([repeatEvents, z.record(z.string(), z.unknown())])).default([]),
  events_file: z.string().optional(),
  expect: z.array(expectation).min(1, 'needs at least one expectation'),
});

const testFile = z.strictObject({
  rule_files: z.array(z.string()).min(1, 'needs at least one rule file'),
  config: z.string().optional(),
  tests: z.array(testCase).min(1, 'needs at least one test'),
});

type TestFile = z.output<typeof testFile>;
type TestCase = TestFile['tests'][number];
type Expectation = TestCase['expect'][number];

export interface CaseResult {
  file: string;
  line: number;
  name: string;
  passed: boolean;
  /** What differs, one readable block per failed expectation. */
  failures: string[];
}

/** YAML dates become ISO strings, as JSON documents carry them. */
function jsonish(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(jsonish);
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonish(x)]));
  return v;
}

/** Sets a dotted path, creating the objects on the way. */
function putPath(doc: Doc, path: string, value: unknown): void {
  const parts = path.split('.');
  let o = doc;
  for (const p of parts.slice(0, -1)) {
    if (!o[p] || typeof o[p] !== 'object') o[p] = {};
    o = o[p] as Doc;
  }
  o[parts.at(-1)!] = value;
}

async function eventsOf(c: TestCase, baseDir: string, tsField: string): Promise<MemoryDocument[]> {
  const docs: MemoryDocument[] = [];
  let n = 0;
  for (const e of c.events) {
    if ('repeat' in e && 'every' in e && typeof e.repeat === 'number') {
      const r = e as z.output<typeof repeatEvents>;
      for (let i = 0; i < r.repeat; i++) {
        const source = structuredClone(jsonish(r.doc)) as Doc;
        if (!setField(source, tsField, toIso(r.from + i * r.every)))
          putPath(source, tsField, toIso(r.from + i * r.every));
        docs.push({ _id: `e${n++}`, _source: source });
      }
    } else {
      const { _id, ...source } = jsonish(e) as Doc;
      docs.push({ _id: typeof _id === 'string' ? _id : `e${n++}`, _source: source });
    }
  }
  if (c.events_file) docs.push(...(await loadDocuments(resolve(baseDir, c.events_file))));
  return docs;
}

const list = (xs: readonly string[]) => `[${xs.join(', ')}]`;
const indent = (text: string, prefix = '      | ') =>
  text
    .trimEnd()
    .split('\n')
    .map((l) => prefix + l)
    .join('\n');

function check(rule: CompiledRule, e: Expectation, got: Awaited<ReturnType<typeof dryRun>>): string[] {
  const out: string[] = [];
  const alerts = got.sent.filter((s) => s.ruleName === rule.name);
  const where = `${rule.name}:`;
  if (e.alerts !== undefined && alerts.length !== e.alerts)
    out.push(`${where} alerts: expected ${e.alerts}, got ${alerts.length}`);
  if (e.matches !== undefined && got.report.matches.length !== e.matches)
    out.push(`${where} matches: expected ${e.matches}, got ${got.report.matches.length}`);
  if (e.query_keys) {
    const qk = rule.options.queryKey;
    const values = new Set<string>();
    for (const a of alerts)
      for (const m of a.matches) {
        // flatline matches of a quiet key may carry only `key`
        const v = qk ? (lookupField(m, qk) ?? m.key) : undefined;
        if (v !== undefined && v !== null) values.add(pythonStr(v));
      }
    const gotKeys = [...values].sort();
    const wanted = [...new Set(e.query_keys)].sort();
    if (list(gotKeys) !== list(wanted)) {
      const missing = wanted.filter((k) => !values.has(k));
      const extra = gotKeys.filter((k) => !wanted.includes(k));
      out.push(
        [
          `${where} query_keys of the alerts (${qk ?? 'the rule has no query_key'}):`,
          `      expected: ${list(wanted)}`,
          `      got:      ${list(gotKeys)}`,
          ...(missing.length ? [`      missing:  ${list(missing)}`] : []),
          ...(extra.length ? [`      extra:    ${list(extra)}`] : []),
        ].join('\n'),
      );
    }
  }
  const texts = alerts.map((a) => a.body);
  const shown = () =>
    texts.length ? texts.map((t, i) => `    alert ${i + 1}:\n${indent(t)}`).join('\n') : '    (no alerts)';
  for (const s of e.text_contains ?? [])
    if (!texts.some((t) => t.includes(s)))
      out.push(`${where} no alert text contains ${JSON.stringify(s)}; the texts:\n${shown()}`);
  for (const s of e.text_not_contains ?? [])
    if (texts.some((t) => t.includes(s)))
      out.push(`${where} an alert text contains ${JSON.stringify(s)}; the texts:\n${shown()}`);
  for (const s of e.title_contains ?? []) {
    const titles = alerts.map((a) => a.title);
    if (!titles.some((t) => t.includes(s)))
      out.push(
        `${where} no alert title contains ${JSON.stringify(s)}; the titles: ${titles.length ? titles.map((t) => JSON.stringify(t)).join(', ') : '(no alerts)'}`,
      );
  }
  return out;
}

function parseTestFile(source: YamlSource): TestFile {
  const parsed = testFile.safeParse(source.value);
  if (!parsed.success)
    throw problemsError('CONFIG_INVALID', source, problemsFromZod(parsed.error, source.value));
  return parsed.data;
}

/** Runs every case of one test file. A file that cannot be read or a rule that does not load fails all its cases. */
export async function runTestFile(
  file: string,
  deps: { env: EnvLookup; logger: Logger },
): Promise<CaseResult[]> {
  const source = readYamlFile(file, { errorCode: 'CONFIG_INVALID' });
  const spec = parseTestFile(source);
  const base = dirname(resolve(file));
  const configFile = spec.config ? resolve(base, spec.config) : undefined;
  const config = loadToolConfig(configFile, deps.env);
  const ctx = { global: config, env: deps.env, catalogs: catalogs(configFile), logger: deps.logger };
  const rules = spec.rule_files.map((f) => loadRuleFile(resolve(base, f), ctx));
  const byName = new Map(rules.map((r) => [r.name, r]));
  const results: CaseResult[] = [];
  for (const [i, c] of spec.tests.entries()) {
    const line = source.locate(['tests', i]).line ?? 1;
    const failures: string[] = [];
    try {
      const tsFields = new Set(rules.map((r) => r.options.timestampField));
      if (tsFields.size > 1)
        throw new EsalertError(
          'CONFIG_INVALID',
          'the rules of one test file must share their timestamp_field',
        );
      const tsField = [...tsFields][0]!;
      const docs = await eventsOf(c, base, tsField);
      const span = timeSpan(docs, tsField);
      const data = span ? spanWindow(span) : undefined;
      const start = c.window?.start ?? data?.start ?? Date.parse('2024-01-01T00:00:00Z');
      const end = c.window?.end ?? data?.end ?? start + 60_000;
      const port = createMemorySearchPort(docs);
      const ran = new Map<string, Awaited<ReturnType<typeof dryRun>>>();
      for (const e of c.expect) {
        const rule = e.rule !== undefined ? byName.get(e.rule) : rules.length === 1 ? rules[0] : undefined;
        if (!rule) {
          failures.push(
            e.rule === undefined
              ? 'expect: name the rule (rule: NAME); this file has several'
              : `expect: no rule named "${e.rule}" in rule_files (${[...byName.keys()].join(', ')})`,
          );
          continue;
        }
        let got = ran.get(rule.name);
        if (!got) {
          got = await dryRun(
            rule,
            port,
            { start, end },
            { config, clock: new FakeClock(c.now ?? end), logger: deps.logger },
          );
          ran.set(rule.name, got);
          if (got.report.error) failures.push(`${rule.name}: the run failed: ${got.report.error.message}`);
        }
        failures.push(...check(rule, e, got));
      }
    } catch (err) {
      failures.push(errorMessage(err));
    }
    results.push({ file, line, name: c.name, passed: failures.length === 0, failures });
  }
  return results;
}
