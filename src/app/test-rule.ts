/**
 * `esalert test-rule`: a dry run of one rule against live Elasticsearch (or a file of events),
 * answering "would it fire, and what would it say?" before it is deployed. ElastAlert 2's
 * elastalert-test-rule flags and flow, plus an explanation of each match's fate.
 *
 * Nothing is sent and nothing is written unless --alert; what the run would write to the
 * writeback indices is printed instead.
 */
import { writeFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { connectionSecrets, resolveEsConnection } from '../config/es-connection.ts';
import type { EnvLookup } from '../config/interpolate.ts';
import { RUN_MATCH_FIELDS } from '../engine/run-rule.ts';
import { createRuntimeRule } from '../engine/runtime-rule.ts';
import { EsalertError, errorMessage } from '../errors/esalert-error.ts';
import { connectElasticsearch } from '../query/es-client.ts';
import { createEsSearchPort } from '../query/es-search-port.ts';
import { buildBaseQuery } from '../query/filters.ts';
import { indexFor } from '../query/index-names.ts';
import { loadDocuments, spanWindow, timeSpan } from '../query/memory/load-documents.ts';
import { createMemorySearchPort } from '../query/memory/memory-search-port.ts';
import type { SearchPort } from '../query/search-port.ts';
import type { CompiledRule } from '../compile/compiled-rule.ts';
import { createEsWriteback } from '../state/es-writeback.ts';
import { type WritebackStore, writebackIndex } from '../state/writeback.ts';
import { type Doc, lookupField } from '../model/lookup.ts';
import { parseTimestamp, toIso } from '../util/time.ts';
import { parseCliTime } from '../config/cli-time.ts';
import { catalogs } from './catalogs.ts';
import { loadToolConfig } from './tool-config.ts';
import { dryRun } from './dry-run.ts';
import { setupWarnings } from './setup-warnings.ts';
import type { Clock } from '../model/clock.ts';
import { createLogger, SecretRegistry } from './logger.ts';
import { systemClock } from '../model/clock.ts';
import { redactText } from '../util/redact.ts';
import { loadRuleFile } from '../compile/compile-rule.ts';

export interface TestRuleOptions {
  rule: string;
  config?: string;
  days?: number;
  start?: string;
  end?: string;
  countOnly?: boolean;
  schemaOnly?: boolean;
  alert?: boolean;
  formattedOutput?: boolean;
  maxQuerySize?: number;
  saveJson?: string;
  data?: string;
  stopError?: boolean;
  explain?: boolean;
}

export interface TestRuleDeps {
  env: EnvLookup;
  clock: Clock;
  logger: Logger;
  secrets: SecretRegistry;
  /** Human-readable output (stdout). */
  out(line: string): void;
  /** Progress on a terminal (stderr); absent when output is not a TTY or is JSON. */
  progress?: (p: { segmentsDone: number; segmentsTotal: number; hits: number; to: string }) => void;
}

/** Matches listed one by one without --explain. */
const MATCHES_SHOWN = 20;

/** Exit codes with --stop-error (ElastAlert 2's): a query failed, the filter is invalid, events lack the timestamp. */
export const EXIT = { ok: 0, usage: 1, queryError: 2, filterError: 3, missingTimestamp: 4 } as const;

/** Dotted names of every leaf field of a document (what a rule may refer to). */
export function fieldNames(doc: Doc, prefix = ''): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(doc)) {
    const name = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object' && !Array.isArray(v)) out.push(...fieldNames(v as Doc, name));
    else out.push(name);
  }
  return out;
}

/** Fields the rule uses (query_key, compare_key, alert_text_args, templates...) that a sample document does not have. */
/**
 * Fields the rule names that none of `samples` (the first hit, the first match) holds. Fields every
 * run adds to its matches (num_hits, num_matches) are never missing.
 */
export function missingFields(rule: CompiledRule, ...samples: Doc[]): { option: string; field: string }[] {
  const raw = rule.definition.raw;
  const o = rule.options;
  const wanted: { option: string; field: string }[] = [];
  const add = (option: string, v: unknown) => {
    for (const f of Array.isArray(v) ? v : v === undefined ? [] : [v])
      if (typeof f === 'string') wanted.push({ option, field: f });
  };
  add('query_key', o.compoundQueryKey ?? o.queryKey);
  add('compare_key', raw.compare_key);
  add('aggregation_key', o.compoundAggregationKey ?? o.aggregationKey);
  add('timestamp_field', o.timestampField);
  add('top_count_keys', raw.top_count_keys);
  add('alert_text_args', raw.alert_text_args);
  add('alert_subject_args', raw.alert_subject_args);
  if (raw.alert_text_kw && typeof raw.alert_text_kw === 'object')
    add('alert_text_kw', Object.keys(raw.alert_text_kw));
  if (o.include) add('include', o.include);
  const templates = [
    rule.jinjaTemplate,
    typeof raw.webhook_body === 'string' ? raw.webhook_body : undefined,
  ].filter((t): t is string => t !== undefined);
  for (const t of templates)
    for (const m of t.matchAll(/\{\{\s*([A-Za-z_@][\w.@]*)/g))
      wanted.push({ option: 'template', field: m[1]! });
  const root = typeof raw.jinja_root_name === 'string' ? raw.jinja_root_name : '_data';
  // fields esalert adds to every match of this rule
  const added = new Set<string>([
    ...RUN_MATCH_FIELDS,
    ...(rule.discover?.kibana ? ['kibana_discover_url'] : []),
    ...(rule.discover?.opensearch ? ['opensearch_discover_url'] : []),
  ]);
  return wanted.filter(({ field }) => {
    if (field.startsWith(`${root}.`) || field in raw || added.has(field)) return false;
    return samples.every(
      (sample) =>
        lookupField(sample, field) === undefined &&
        lookupField(sample, field.replace(/\.keyword$/, '')) === undefined,
    );
  });
}

function window(
  o: TestRuleOptions,
  rule: CompiledRule,
  deps: TestRuleDeps,
  dataRange: [number, number] | undefined,
): [number, number] {
  const now = deps.clock.now();
  const data = dataRange ? spanWindow(dataRange) : undefined;
  let end = parseCliTime(o.end, '--end', deps.clock) ?? data?.end ?? now;
  let start = parseCliTime(o.start, '--start', deps.clock);
  if (start === undefined) {
    if (o.days) start = end - o.days * 86_400_000;
    else if (data) start = data.start;
    else
      start =
        rule.options.timeframeMs !== undefined
          ? end - Math.round(rule.options.timeframeMs * 1.01)
          : end - 86_400_000;
  }
  if (start >= end) end = start + 1;
  return [start, end];
}

export async function testRule(o: TestRuleOptions, deps: TestRuleDeps): Promise<number> {
  const json: Record<string, unknown> = {};
  const say = (line = '') => {
    if (!o.formattedOutput) deps.out(line);
  };
  const finish = (code: number) => {
    if (o.formattedOutput) deps.out(JSON.stringify(json, null, 2));
    return code;
  };
  const config = loadToolConfig(o.config, deps.env);
  const cats = catalogs(o.config);
  let rule: CompiledRule;
  try {
    rule = loadRuleFile(o.rule, { global: config, env: deps.env, catalogs: cats, logger: deps.logger });
  } catch (err) {
    json.error = errorMessage(err);
    say(errorMessage(err));
    return finish(EXIT.usage);
  }
  for (const a of rule.alerters) deps.secrets.add(...a.secrets());
  for (const w of rule.warnings) say(`warning: ${w}`);
  say(`Successfully loaded ${rule.name}`);
  json.rule = rule.name;
  if (o.schemaOnly) return finish(EXIT.ok);

  // where the events come from
  let port: SearchPort;
  let writeback: WritebackStore | undefined;
  let dataRange: [number, number] | undefined;
  let close = async () => {};
  if (o.data) {
    const docs = await loadDocuments(o.data);
    const missing = docs.find(
      (d) => parseTimestamp(lookupField(d._source, rule.options.timestampField)) === undefined,
    );
    if (missing) {
      const msg = `${o.data}: document ${missing._id} has no ${rule.options.timestampField}`;
      json.error = msg;
      say(msg);
      return finish(o.stopError ? EXIT.missingTimestamp : EXIT.usage);
    }
    dataRange = timeSpan(docs, rule.options.timestampField);
    port = createMemorySearchPort(docs);
  } else {
    const options = resolveEsConnection(rule.connection, deps.env);
    const conn = await connectElasticsearch(options);
    deps.secrets.add(...connectionSecrets(options));
    port = createEsSearchPort(conn.client);
    writeback = createEsWriteback(conn.client, config.writebackIndex);
    close = () => conn.close();
    const warnings = await setupWarnings(rule, conn.client).catch(async (err: unknown) => {
      await close();
      throw err;
    });
    if (warnings.length) json.warnings = warnings;
    for (const w of warnings) say(`warning: ${w}`);
  }
  try {
    const [start, end] = window(o, rule, deps, dataRange);
    const days = (end - start) / 86_400_000;
    json.days = Number(days.toFixed(4));
    json.window = { start: toIso(start), end: toIso(end) };

    // 1. a first look: how many hits, which fields
    const ro = rule.options;
    const index = indexFor(ro, start, end);
    const { codec } = createRuntimeRule(rule);
    const query = buildBaseQuery(ro.filters, {
      field: ro.timestampField,
      gt: codec.write(start),
      lte: codec.write(end),
    });
    let count: number;
    let first: Doc | undefined;
    try {
      count = await port.count(index, query);
      first = (
        await port.search({ index, query, size: 1, sort: [{ [ro.timestampField]: { order: 'asc' } }] })
      ).hits[0]?._source;
    } catch (err) {
      const msg = `Error querying Elasticsearch: ${errorMessage(err)}`;
      json.error = msg;
      say(msg);
      const filterError =
        /parse|query_shard_exception|search_phase_execution_exception|failed to create query/i.test(
          errorMessage(err),
        );
      return finish(o.stopError ? (filterError ? EXIT.filterError : EXIT.queryError) : EXIT.usage);
    }
    json.hits = count;
    // a window given as times, or as the data's span, is named as such; "the last N days" is --days or the default
    const given = o.start !== undefined || o.end !== undefined || (dataRange !== undefined && !o.days);
    say(
      given
        ? `Got ${count} hits between ${toIso(start)} and ${toIso(end)}`
        : `Got ${count} hits from the last ${days.toFixed(days < 1 ? 3 : 0)} day(s)`,
    );
    /** Rule fields that neither the first hit nor (after the run) the first match holds. */
    const warnMissing = (...samples: Doc[]) => {
      const missing = missingFields(rule, ...samples);
      json.missing_fields = missing;
      for (const m of missing)
        say(`warning: ${m.option} uses "${m.field}", which is not in the first hit: check the field name`);
    };
    if (first) {
      const terms = fieldNames(first);
      json.terms = terms;
      say('\nAvailable terms in first hit:');
      for (const t of terms) say(`\t${t}`);
    }
    if (o.countOnly) {
      if (first) warnMissing(first);
      return finish(EXIT.ok);
    }

    if (o.saveJson) {
      const size = o.maxQuerySize ?? ro.maxQuerySize;
      const res = await port.search({
        index,
        query,
        size,
        sort: [{ [ro.timestampField]: { order: 'asc' } }],
      });
      writeFileSync(
        o.saveJson,
        JSON.stringify(
          res.hits.map((h) => ({ _id: h._id, ...h._source })),
          null,
          2,
        ),
      );
      say(`\nSaved ${res.hits.length} documents to ${o.saveJson}`);
    }

    // 2. the run, with nothing sent (unless --alert) and writeback recorded in memory
    const progress = deps.progress;
    const { report, sent, store } = await dryRun(
      rule,
      port,
      { start, end },
      {
        config,
        clock: deps.clock,
        logger: deps.logger,
        alert: Boolean(o.alert),
        ...(writeback ? { silences: writeback } : {}),
        run: {
          recordQueries: Boolean(o.explain),
          ...(progress ? { onProgress: progress } : {}),
        },
      },
    );
    if (report.error) {
      json.error = report.error.message;
      say(`\nError running the rule: ${report.error.message}`);
    }
    // fields a match carries that no hit does (num_hits, a spike's counts) are not missing
    if (first) warnMissing(first, ...report.matches.slice(0, 1).map((m) => m.match));

    // 3. what happened
    json.result = {
      hits: report.hits,
      duplicates: report.duplicates,
      matches: report.matches.length,
      segments: report.segments.length,
      completed_to: report.completedTo,
    };
    json.matches = report.matches;
    json.alerts = sent.map((a) => ({ title: a.title, text: a.body }));
    if (o.explain) {
      json.segments = report.segments;
      say('\nQueries (one per segment of the window):');
      for (const s of report.segments) {
        say(
          `  ${s.start} .. ${s.end}  index ${s.index}: ${s.hits} hits${s.duplicates ? ` (${s.duplicates} already seen)` : ''}${s.pages > 1 ? `, ${s.pages} pages` : ''}${s.truncated ? ', TRUNCATED' : ''}`,
        );
        if (Object.keys(s.query).length) say(`    ${JSON.stringify(s.query)}`);
      }
    }
    say(
      `\n${report.matches.length} match(es) from ${report.hits} hit(s) between ${report.start} and ${report.end}`,
    );
    const tally = new Map<string, number>();
    for (const m of report.matches) tally.set(m.outcome, (tally.get(m.outcome) ?? 0) + 1);
    if (tally.size) say(`  ${[...tally].map(([k, n]) => `${n} ${k}`).join(', ')}`);
    const shown = o.explain ? report.matches.length : Math.min(report.matches.length, MATCHES_SHOWN);
    report.matches.slice(0, shown).forEach((m, i) => {
      const ts = String(lookupField(m.match, ro.timestampField) ?? '');
      const fate =
        m.outcome === 'silenced'
          ? `not alerted: silenced (${m.key}) until ${m.until}`
          : m.outcome === 'dropped'
            ? `not alerted: ${m.reason}`
            : m.outcome === 'aggregated'
              ? `aggregated: sent with its aggregate at ${m.alertTime}`
              : m.outcome === 'already-alerted'
                ? 'already alerted earlier (found in the writeback index)'
                : `alerted${m.silence ? `; further matches for ${m.silence.key} held back until ${m.silence.until} (realert)` : ''}`;
      say(`  #${i + 1} at ${ts}: ${fate}`);
    });
    if (shown < report.matches.length)
      say(`  ... ${report.matches.length - shown} more (--explain lists every match)`);
    if (sent.length) {
      say(`\n${o.alert ? 'Sent' : 'Would send'} ${sent.length} alert(s):`);
      for (const a of sent) say(`\n--- ${a.title}\n${a.body}`);
    }
    const writes = {
      elastalert_status: store.statuses,
      silence: store.silences.map((s) => ({
        rule_name: s.key,
        until: toIso(s.until),
        exponent: s.exponent,
        '@timestamp': s.at,
      })),
      elastalert: [...store.alerts.values()].map((d) => ({
        ...d,
        alert_sent: !o.alert ? false : d.alert_sent,
      })),
      elastalert_error: store.errors,
    };
    json.writeback = writes;
    json.writeback_index = config.writebackIndex;
    const wb = config.writebackIndex;
    say(
      `\nWould have written the following documents to the writeback indices of writeback_index ${wb} (${(['status', 'silence', 'alert', 'error'] as const).map((k) => writebackIndex(wb, k)).join(', ')}):\n`,
    );
    for (const [kind, docs] of Object.entries(writes))
      for (const d of docs) say(`${kind} - ${JSON.stringify(d)}`);
    if (report.error && o.stopError) return finish(EXIT.queryError);
    return finish(EXIT.ok);
  } finally {
    await close();
  }
}

export { EsalertError };

/**
 * test-rule as the command line runs it: on the system clock, with warnings logged as text and
 * every secret the run learns scrubbed from what it prints.
 */
export function runTestRule(
  o: TestRuleOptions,
  deps: Pick<TestRuleDeps, 'env' | 'out' | 'progress'>,
): Promise<number> {
  const secrets = new SecretRegistry();
  return testRule(o, {
    env: deps.env,
    clock: systemClock,
    logger: createLogger({ level: 'warn', format: 'text' }, secrets),
    secrets,
    out: (line) => deps.out(redactText(line, secrets.list())),
    ...(deps.progress ? { progress: deps.progress } : {}),
  });
}
