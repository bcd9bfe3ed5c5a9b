/**
 * Options ElastAlert 2 takes as they come where esalert's schema wants one type: its loader does
 * not check them, and its code converts them when it uses them (Python's str() of
 * `alert_subject`, Python's truthiness of a flag). They are converted the same way here, each with
 * a warning, so that such a rule loads and behaves as it does in ElastAlert 2.
 */
import type { Problem } from '../config/fields.ts';
import { type Doc, pythonStr } from '../model/lookup.ts';

/** Flags ElastAlert 2 reads with `if rule.get(...)` and its schema does not type. */
const TRUTHY_FLAGS = [
  'is_enabled',
  'search_extra_index',
  'run_enhancements_first',
  'aggregate_by_match_time',
];

/** Python's str() of a YAML value (a date reads as 2024-01-01, a list as ['a', 'b']). */
function pyStr(value: unknown): string {
  return value instanceof Date ? String(value) : pythonStr(value);
}

/** Python's bool() of a YAML value. */
function pyTruthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object' && !(value instanceof Date)) return Object.keys(value).length > 0;
  return !Number.isNaN(value);
}

export interface LenientResult {
  raw: Doc;
  /** One per converted option, at the option's path. */
  notes: Problem[];
}

export function convertLenientOptions(raw: Doc): LenientResult {
  const out: Doc = { ...raw };
  const notes: Problem[] = [];
  if ('alert_subject' in raw && typeof raw.alert_subject !== 'string') {
    out.alert_subject = pyStr(raw.alert_subject);
    notes.push({
      path: ['alert_subject'],
      message: `is not text; ElastAlert 2 uses its Python text ${JSON.stringify(out.alert_subject)} as the subject, and so does esalert`,
    });
  }
  if (typeof raw.alert_subject_args === 'string') {
    // ElastAlert 2 loops over the value: a string gives one argument per character
    out.alert_subject_args = [...raw.alert_subject_args];
    notes.push({
      path: ['alert_subject_args'],
      message: `is one string, not a list; ElastAlert 2 takes each of its characters as a field name, and so does esalert: write [${raw.alert_subject_args}]`,
    });
  }
  if (raw.description !== undefined && typeof raw.description !== 'string')
    out.description = pyStr(raw.description);
  for (const flag of TRUTHY_FLAGS) {
    const value = raw[flag];
    if (value === undefined || typeof value === 'boolean') continue;
    out[flag] = pyTruthy(value);
    notes.push({
      path: [flag],
      message: `should be true or false; ElastAlert 2 reads ${JSON.stringify(pyStr(value))} as ${out[flag] ? 'true' : 'false'}, and so does esalert`,
    });
  }
  return { raw: out, notes };
}
