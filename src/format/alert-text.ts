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
import { summaryTable } from './summary-table.ts';

export type AlertTextType =
  'alert_text_only' | 'alert_text_jinja' | 'exclude_fields' | 'aggregation_summary_only';

/** Renders a Jinja template with the values ElastAlert 2 passes (rule | match, also under jinja_root_name). */
export type JinjaRenderer = (template: string, values: Doc) => string;

export interface AlertTextSource {
  /** The rule mapping (alert_text, alert_text_args, ... and every other option, for references). */
  raw: Doc;
  name: string;
  /** The rule type's paragraph for a match (get_match_str). */
  matchText(match: Match): string;
  renderJinja?: JinjaRenderer;
  /** Rule-level jinja template (jinja_template_path contents), when set. */
  jinjaTemplate?: string;
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

/** Values for *_args: the match field, else a truthy top-level rule option of that name, else the missing marker. */
export function argValues(raw: Doc, match: Match, args: unknown[]): unknown[] {
  const missing = missingValue(raw);
  return args.map((arg) => {
    const name = String(arg);
    let v = lookupField(match, name);
    if (v === undefined) {
      const fromRule = raw[name];
      if (pythonTruthy(fromRule)) v = fromRule;
    }
    return v === undefined ? missing : v;
  });
}

function kwValues(raw: Doc, match: Match, kw: Record<string, unknown>): Record<string, unknown> {
  const missing = missingValue(raw);
  const out: Record<string, unknown> = {};
  for (const [field, name] of Object.entries(kw)) {
    let v = lookupField(match, field);
    if (v === undefined) v = raw[field] ?? undefined;
    out[String(name)] = v === undefined || v === null ? missing : v;
  }
  return out;
}

function jinjaValues(raw: Doc, match: Match): Doc {
  const values = { ...raw, ...match };
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
  if (raw.alert_text_type === 'alert_text_jinja') {
    if (!src.renderJinja) throw new FormatError('alert_text_jinja needs the Jinja renderer');
    return src.renderJinja(jinjaSource(src.jinjaTemplate ?? template), jinjaValues(raw, fields));
  }
  if (Array.isArray(raw.alert_text_args))
    return pythonFormat(template, argValues(raw, fields, raw.alert_text_args));
  if (raw.alert_text_kw && typeof raw.alert_text_kw === 'object')
    return pythonFormat(template, [], kwValues(raw, fields, raw.alert_text_kw as Record<string, unknown>));
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
  if (type === 'alert_text_only') return text + relatedLogsBlock(match);
  text = ensureBlankLine(text + src.matchText(match));
  if (raw.top_count_keys) {
    for (const [key, counts] of Object.entries(match)) {
      if (!key.startsWith('top_events_')) continue;
      text += `${key.slice(11)}:\n`;
      const entries = Object.entries((counts ?? {}) as Record<string, number>);
      if (entries.length === 0) text += 'No events found.\n';
      else for (const [term, count] of entries.sort((a, b) => b[1] - a[1])) text += `${term}: ${count}\n`;
      text += '\n';
    }
  }
  if (type !== 'exclude_fields') {
    for (const key of Object.keys(match).sort()) {
      if (key.startsWith('top_events_') || RELATED_LOGS_SHOWN_APART.has(key)) continue;
      text += `${key}: ${fieldText(match[key])}\n`;
    }
  }
  return text + relatedLogsBlock(match);
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
  let body = summaryTable(src.raw, matches);
  if (src.raw.alert_text_type !== 'aggregation_summary_only') {
    for (const m of matches) {
      body += matchString(src, m);
      if (matches.length > 1) body += '\n----------------------------------------\n';
    }
  }
  return body;
}
