/**
 * Alert subject and body, built as ElastAlert 2 builds them (alerts.py BasicMatchString,
 * create_title, create_alert_body), so existing alert_text / alert_text_args / alert_subject
 * settings produce the same text.
 */
import { k8sFields } from '../k8s/event-view.ts';
import { RELATED_LOGS_SHOWN_APART, relatedLogsBlock } from './related-logs-block.ts';
import type { Match } from '../model/match.ts';
import { type Doc, lookupField, pythonStr } from '../model/lookup.ts';
import { FormatError, pythonFormat } from './python-format.ts';
import { capText, MAX_FIELD_CHARS } from '../util/text-caps.ts';
import { escapeMarkdown, escaperFor, type TextFormat } from './escape.ts';
import { summaryTable } from './summary-table.ts';
import { templateOptions } from './template-values.ts';

export type AlertTextType =
  'alert_text_only' | 'alert_text_jinja' | 'exclude_fields' | 'aggregation_summary_only';

/**
 * Renders a Jinja template with the values ElastAlert 2 passes (rule | match, also under
 * jinja_root_name); with a format, every printed value is escaped for it (`|safe` opts out).
 */
export type JinjaRenderer = (template: string, values: Doc, format?: TextFormat) => string;

export interface AlertTextSource {
  /** The rule mapping (alert_text, alert_text_args, ... and every other option, for references). */
  raw: Doc;
  name: string;
  /** The rule type's paragraph for a match (get_match_str). */
  matchText(match: Match): string;
  renderJinja?: JinjaRenderer;
  /** Rule-level jinja template (jinja_template_path contents), when set. */
  jinjaTemplate?: string;
  /**
   * How the channel renders the body (Alerter.textFormat): event text (match values, field names,
   * the rule type's paragraph) is escaped for it, unless the rule sets escape_event_text: false.
   * The rule's own text (alert_text, templates) is left as written.
   */
  format?: TextFormat;
}

/** The format event text is escaped for: none for plain channels or when the rule opts out. */
function formatOf(src: AlertTextSource): TextFormat {
  return src.format && src.raw.escape_event_text !== false ? src.format : 'plain';
}

/**
 * The related log lines (event text) as a code block: markdown shows a fence's content as it is
 * (fences inside are broken up), an html body gets it escaped.
 */
function logsBlock(src: AlertTextSource, match: Match): string {
  const block = relatedLogsBlock(match);
  return formatOf(src) === 'html' ? escaperFor('html')(block) : block;
}

/** Event values for *_args / alert_text_kw, escaped: text as text; other values as Python prints them. */
function escapeValues<T>(values: T[], esc: (s: string) => string): T[] {
  return values.map((v) =>
    typeof v === 'string'
      ? (esc(v) as T)
      : v !== null && typeof v === 'object'
        ? (esc(pythonStr(v)) as T)
        : v,
  );
}

/**
 * What *_args, alert_text_kw and Jinja templates read: the match, plus the `k8s` fields when the
 * rule sets k8s_fields (docs/kubernetes.md). The match itself, which the default body lists, is
 * left as it is.
 */
function templateFields(raw: Doc, match: Match): Match {
  return raw.k8s_fields === true ? { ...match, k8s: k8sFields(match) } : match;
}

const missingValue = (raw: Doc) =>
  typeof raw.alert_missing_value === 'string' ? raw.alert_missing_value : '<MISSING VALUE>';

/** Python's truth value: None, False, 0, '' and empty lists and mappings are false. */
const pythonTruthy = (v: unknown) =>
  !(v === undefined || v === null || v === false || v === 0 || v === '') &&
  !(typeof v === 'object' && Object.keys(v).length === 0);

/**
 * Values for *_args: the match field, else a truthy top-level rule option of that name (from the
 * options templates may read), else the missing marker.
 */
export function argValues(raw: Doc, match: Match, args: unknown[]): unknown[] {
  const missing = missingValue(raw);
  const options = templateOptions(raw);
  return args.map((arg) => {
    const name = String(arg);
    let v = lookupField(match, name);
    if (v === undefined) {
      const fromRule = Object.hasOwn(options, name) ? options[name] : undefined;
      if (pythonTruthy(fromRule)) v = fromRule;
    }
    return v === undefined ? missing : capped(v);
  });
}

/** A long text value cut to MAX_FIELD_CHARS (with a marker); other values as they are. */
const capped = (v: unknown) => (typeof v === 'string' ? capText(v, MAX_FIELD_CHARS) : v);

function kwValues(raw: Doc, match: Match, kw: Record<string, unknown>): Record<string, unknown> {
  const missing = missingValue(raw);
  const options = templateOptions(raw);
  const out: Record<string, unknown> = {};
  for (const [field, name] of Object.entries(kw)) {
    let v = lookupField(match, field);
    if (v === undefined && Object.hasOwn(options, field)) v = options[field] ?? undefined;
    out[String(name)] = v === undefined || v === null ? missing : capped(v);
  }
  return out;
}

/** What a Jinja template sees: the rule options templates may read, the match over them, and both under the root name. */
function jinjaValues(raw: Doc, match: Match): Doc {
  const values = { ...templateOptions(raw), ...match };
  const root = typeof raw.jinja_root_name === 'string' ? raw.jinja_root_name : '_data';
  return { ...values, [root]: values };
}

/**
 * A template as Jinja reads it with ElastAlert 2's settings: line ends made `\n`, and one newline
 * at the very end dropped (keep_trailing_newline is off).
 */
function jinjaSource(template: string): string {
  const lines = template.split(/\r\n|\r|\n/);
  if (lines.length > 1 && lines.at(-1) === '') lines.pop();
  return lines.join('\n');
}

function ensureBlankLine(text: string): string {
  let t = text;
  while (!t.endsWith('\n\n')) t += '\n';
  return t;
}

function sortKeysDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeysDeep);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeysDeep((v as Doc)[k])]),
    );
  }
  return v;
}

/** A match field value as the default body prints it: text as is, objects and lists as indented JSON. */
export function fieldText(value: unknown): string {
  if (value !== null && typeof value === 'object') return JSON.stringify(sortKeysDeep(value), null, 4);
  return pythonStr(value);
}

/** The custom part of the body: alert_text formatted with its args / kw, or rendered with Jinja. */
function customText(src: AlertTextSource, match: Match): string {
  const raw = src.raw;
  const template = String(raw.alert_text ?? '');
  const fields = templateFields(raw, match);
  const format = formatOf(src);
  const esc = escaperFor(format);
  if (raw.alert_text_type === 'alert_text_jinja') {
    if (!src.renderJinja) throw new FormatError('alert_text_jinja needs the Jinja renderer');
    const values = jinjaValues(raw, fields);
    const source = jinjaSource(src.jinjaTemplate ?? template);
    return format === 'plain' ? src.renderJinja(source, values) : src.renderJinja(source, values, format);
  }
  if (Array.isArray(raw.alert_text_args))
    return pythonFormat(template, escapeValues(argValues(raw, fields, raw.alert_text_args), esc));
  if (raw.alert_text_kw && typeof raw.alert_text_kw === 'object') {
    const kw = kwValues(raw, fields, raw.alert_text_kw as Record<string, unknown>);
    const keys = Object.keys(kw);
    const escaped = escapeValues(Object.values(kw), esc);
    return pythonFormat(template, [], Object.fromEntries(keys.map((k, i) => [k, escaped[i]])));
  }
  return template;
}

/** ElastAlert 2's BasicMatchString: the text for one match. */
export function matchString(src: AlertTextSource, match: Match): string {
  const raw = src.raw;
  let text = raw.alert_text === undefined ? `${src.name}\n\n` : '';
  text = ensureBlankLine(text + customText(src, match));
  const type = raw.alert_text_type;
  if (type === 'alert_text_jinja') return text;
  // related_logs were asked for by the rule: they follow its own text too
  if (type === 'alert_text_only') return text + logsBlock(src, match);
  const esc = escaperFor(formatOf(src));
  text = ensureBlankLine(text + esc(src.matchText(match)));
  if (raw.top_count_keys) {
    for (const [key, counts] of Object.entries(match)) {
      if (!key.startsWith('top_events_')) continue;
      text += `${esc(key.slice(11))}:\n`;
      const entries = Object.entries((counts ?? {}) as Record<string, number>);
      if (entries.length === 0) text += 'No events found.\n';
      else
        for (const [term, count] of entries.sort((a, b) => b[1] - a[1])) text += `${esc(term)}: ${count}\n`;
      text += '\n';
    }
  }
  if (type !== 'exclude_fields') {
    for (const key of Object.keys(match).sort()) {
      if (key.startsWith('top_events_') || RELATED_LOGS_SHOWN_APART.has(key)) continue;
      text += `${esc(key)}: ${esc(capText(fieldText(match[key]), MAX_FIELD_CHARS))}\n`;
    }
  }
  return text + logsBlock(src, match);
}

/** The subject (create_title): alert_subject with its args (or Jinja), cut to alert_subject_max_len; else the rule name. */
export function alertTitle(src: AlertTextSource, matches: readonly Match[]): string {
  const raw = src.raw;
  if (raw.alert_subject === undefined) return src.name;
  let subject = String(raw.alert_subject);
  const first = templateFields(raw, matches[0] ?? {});
  if (Array.isArray(raw.alert_subject_args)) {
    subject = pythonFormat(subject, argValues(raw, first, raw.alert_subject_args));
  } else if (raw.alert_text_type === 'alert_text_jinja' && src.renderJinja) {
    subject = src.renderJinja(jinjaSource(subject), jinjaValues(raw, first));
  }
  // cut by characters (code points, as Python counts them), not UTF-16 units
  const max = Number(raw.alert_subject_max_len ?? 2048);
  const chars = Array.from(subject);
  return chars.length > max ? chars.slice(0, max).join('') : subject;
}

/** The body for one alert (create_alert_body): the aggregation summary, then each match's text. */
export function alertBody(src: AlertTextSource, matches: readonly Match[]): string {
  const format = formatOf(src);
  const tableType = src.raw.summary_table_type ?? 'ascii';
  let body =
    format === 'markdown' && tableType === 'markdown'
      ? summaryTable(src.raw, matches, (cell) => escapeMarkdown(cell).replace(/\|/g, '\\|'))
      : summaryTable(src.raw, matches);
  // an ascii table is plain text: escaped whole for a rich channel (an html table escapes its cells)
  if (format !== 'plain' && tableType !== 'html' && !(format === 'markdown' && tableType === 'markdown'))
    body = escaperFor(format)(body);
  if (src.raw.alert_text_type !== 'aggregation_summary_only') {
    for (const m of matches) {
      body += matchString(src, m);
      if (matches.length > 1) body += '\n----------------------------------------\n';
    }
  }
  return body;
}
