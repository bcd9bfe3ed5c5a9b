/**
 * The command alerter's argument formatting, as ElastAlert 2's resolve_string does it: `%(field)s`
 * and `{field}` / `{field[sub]}` references to the first match (dotted names reach nested fields),
 * `<MISSING VALUE>` for fields the match lacks, `%%`, `{{` and `}}` for literal characters. Or,
 * with `new_style_string_format`, the older `{match[field]}` form. The template is read once from
 * left to right: text that a value brings in is never read as a reference itself.
 */
import { FormatError, pythonFormat } from '../format/python-format.ts';
import { percentFormat } from '../format/percent-format.ts';
import type { Match } from '../model/match.ts';
import type { Doc } from '../model/lookup.ts';

export const MISSING_VALUE = '<MISSING VALUE>';

/** ElastAlert 2's flatten_dict plus the original keys: {"a.b": 1, "a": {"b": 1}}. */
export function flattenMatch(match: Doc, prefix = '', out: Doc = {}): Doc {
  for (const [k, v] of Object.entries(match)) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v))
      flattenMatch(v as Doc, `${prefix}${k}.`, out);
    else out[`${prefix}${k}`] = v;
  }
  if (prefix === '') Object.assign(out, match);
  return out;
}

const PERCENT = /%(?:\(([^)]*)\))?([-+ 0#]*)(\d+)?(?:\.(\d*))?([diouxXeEfFgGcrsa%])?/y;

export interface ArgFormat {
  /** ElastAlert 2 (resolve_string) or the older `.format(match=...)` form. */
  newStyle: boolean;
  /** Applied to every value put into the text (shell quoting in the shell form). */
  quote?: (text: string) => string;
}

/** One argument with the match's values filled in; throws FormatError saying what is wrong. */
export function formatCommandArg(template: string, match: Match, f: ArgFormat): string {
  const values: Doc = f.newStyle ? { match } : flattenMatch(match);
  const quote = f.quote ?? ((t: string) => t);
  let out = '';
  let i = 0;
  while (i < template.length) {
    const c = template[i]!;
    if (c === '%' && !f.newStyle) {
      PERCENT.lastIndex = i;
      const m = PERCENT.exec(template);
      const [, name, flags = '', width = '', precision, type] = m ?? [];
      if (!m || !type)
        throw new FormatError(
          `"${template}": a lone % at position ${i}: write %(field)s, or %% for a literal %`,
        );
      i = PERCENT.lastIndex;
      if (type === '%') {
        out += '%';
        continue;
      }
      if (name === undefined)
        throw new FormatError(`"${template}": %${type} needs a field name: write %(field)${type}`);
      const value = Object.hasOwn(values, name) ? values[name] : MISSING_VALUE;
      out += quote(
        percentFormat(`%${flags}${width}${precision !== undefined ? `.${precision}` : ''}${type}`, value),
      );
      continue;
    }
    if (c === '{' || c === '}') {
      if (template[i + 1] === c) {
        out += c;
        i += 2;
        continue;
      }
      if (c === '}')
        throw new FormatError(`"${template}": a single } at position ${i}: write }} for a literal brace`);
      const close = template.indexOf('}', i);
      if (close < 0)
        throw new FormatError(`"${template}": a single { at position ${i}: write {{ for a literal brace`);
      const field = template.slice(i, close + 1);
      const head = /^\{([^.[!:}]*)/.exec(field)![1]!;
      out += quote(Object.hasOwn(values, head) ? pythonFormat(field, [], values) : MISSING_VALUE);
      i = close + 1;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

/** A value as one word for /bin/sh: single-quoted, inner quotes closed and escaped. */
export const shellQuote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;
