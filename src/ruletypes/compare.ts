/**
 * What blacklist and whitelist share (ElastAlert 2's CompareRule): the compared field, the list
 * with its `!file` entries expanded when the rule loads, and the query_string filter_by_list adds.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { EsQuery } from '../query/filters.ts';
import { errorMessage } from '../errors/esalert-error.ts';

/** compare_key: a field name; a list is joined with "," into one name, as ElastAlert 2 does. */
export const compareKey = z
  .union([z.string().min(1), z.array(z.string()).min(1)], {
    error: 'must name the field to compare (e.g. event.reason)',
  })
  .transform((v) => (Array.isArray(v) ? v.join(',') : v));

/**
 * A list of values where an entry `!file /path/to/list` stands for the lines of that file
 * (trailing whitespace removed; relative paths from the working directory, as in ElastAlert 2).
 * Duplicates are dropped, the order kept.
 */
export function valueList(name: string) {
  return z
    .array(z.string({ error: `${name} entries must be text (quote numbers: "404")` }), {
      error: `must be a list of values (or "!file /path/to/list" entries)`,
    })
    .transform((entries, ctx) => {
      const out = new Set<string>();
      for (const entry of entries) {
        if (!entry.startsWith('!file')) {
          out.add(entry);
          continue;
        }
        const file = entry.split(/\s+/)[1];
        if (!file) {
          ctx.addIssue({ code: 'custom', message: `"${entry}" needs a file name: "!file /path/to/list"` });
          continue;
        }
        try {
          for (const line of readFileSync(file, 'utf8').split(/(?<=\n)/))
            if (line !== '') out.add(line.trimEnd());
        } catch (err) {
          ctx.addIssue({
            code: 'custom',
            message: `cannot read the list file ${file}: ${errorMessage(err)}`,
          });
        }
      }
      return [...out];
    });
}

/** A field name in a query_string: Lucene's special characters (and spaces) backslash-escaped. */
export function queryStringField(name: string): string {
  return name.replace(/[+\-=&|><!(){}[\]^"~*?:\\/ ]/g, '\\$&');
}

/** A value as a quoted phrase in a query_string: `"` and `\` escaped, so it stays one phrase. */
export function queryStringPhrase(value: string): string {
  return `"${value.replace(/[\\"]/g, '\\$&')}"`;
}

/**
 * ElastAlert 2's enhance_filter: `key:"v1" OR key:"v2"` (blacklist) or `NOT key:"v1" AND NOT
 * key:"v2"` (whitelist); entries written as /regex/ stay unquoted. An empty list adds nothing.
 * Unlike ElastAlert 2, quotes and backslashes in values (and special characters in the field name)
 * are escaped: an entry is always the one phrase it says.
 */
export function listFilter(
  key: string,
  values: readonly string[],
  kind: 'blacklist' | 'whitelist',
): EsQuery[] {
  if (values.length === 0) return [];
  const field = queryStringField(key);
  const terms = values.map((v) =>
    v.length > 1 && v.startsWith('/') && v.endsWith('/')
      ? `${field}:${v}`
      : `${field}:${queryStringPhrase(v)}`,
  );
  const query = kind === 'whitelist' ? `NOT ${terms.join(' AND NOT ')}` : terms.join(' OR ');
  return [{ query_string: { query } }];
}
