/**
 * Field types of the in-memory backend, as Elasticsearch would map the documents: inferred the
 * way dynamic mapping does (a string becomes `text` with a `.keyword` sub-field ignoring values
 * over 256 characters, unless it looks like a date; integers `long`, other numbers `float`, true
 * and false `boolean`; the first value seen decides), or read from a real mapping
 * (`GET index/_mapping`) when one is given.
 */
import { EsalertError } from '../../errors/esalert-error.ts';
import { DEFAULT_DATE_FORMATS, type DateFormatName, isIsoDate, parseDateFormats } from './dates.ts';
import { escapeRegExp } from '../../util/escape-regexp.ts';

export type FieldType = 'text' | 'keyword' | 'long' | 'float' | 'double' | 'date' | 'boolean';

export interface FieldSpec {
  /** The field's name in queries: `event.reason`, `event.reason.keyword`. */
  name: string;
  type: FieldType;
  /** Where the values come from in _source (a multi-field reads its parent's values). */
  source: string;
  /** keyword: longer values are not indexed. */
  ignoreAbove?: number;
  /** date: accepted formats. */
  formats?: readonly DateFormatName[];
}

export interface Mapping {
  /** Every searchable field by name, sub-fields included. */
  fields: Map<string, FieldSpec>;
  /** Object paths (`event`, `event.involvedObject`): exists on them means "any field below". */
  objects: Set<string>;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Calls `leaf` for every concrete value of a document, by dotted path, as Elasticsearch indexes
 * them: arrays are flattened (arrays of objects too: no `nested`), nulls skipped, dotted keys
 * read as paths. `object` is called for every object path.
 */
export function walkSource(
  source: Record<string, unknown>,
  leaf: (path: string, value: unknown) => void,
  object?: (path: string) => void,
  prefix = '',
): void {
  for (const [key, value] of Object.entries(source)) {
    const path = prefix ? `${prefix}.${key}` : key;
    visit(path, value, leaf, object);
  }
}

function visit(
  path: string,
  value: unknown,
  leaf: (path: string, value: unknown) => void,
  object: ((path: string) => void) | undefined,
): void {
  if (value === null || value === undefined) return;
  if (Array.isArray(value)) {
    for (const v of value) visit(path, v, leaf, object);
  } else if (isPlainObject(value)) {
    object?.(path);
    walkSource(value, leaf, object, path);
  } else {
    leaf(path, value);
  }
}

/** Elasticsearch's dynamic date detection: a cheap shape check, then strict_date_optional_time. */
export function detectsAsDate(text: string): boolean {
  const count = (ch: string) => text.split(ch).length - 1;
  if (!(count(':') > 1 || count('-') > 1 || count('/') > 1)) return false;
  return isIsoDate(text);
}

function addTextField(fields: Map<string, FieldSpec>, path: string): void {
  fields.set(path, { name: path, type: 'text', source: path });
  fields.set(`${path}.keyword`, { name: `${path}.keyword`, type: 'keyword', source: path, ignoreAbove: 256 });
}

/** The mapping Elasticsearch's dynamic mapping would create for these documents (first value wins). */
export function inferMapping(sources: Iterable<Record<string, unknown>>): Mapping {
  const fields = new Map<string, FieldSpec>();
  const objects = new Set<string>();
  const leafPaths = new Set<string>();
  for (const source of sources) {
    walkSource(
      source,
      (path, value) => {
        if (leafPaths.has(path) || objects.has(path)) return;
        leafPaths.add(path);
        if (typeof value === 'string') {
          if (detectsAsDate(value))
            fields.set(path, { name: path, type: 'date', source: path, formats: DEFAULT_DATE_FORMATS });
          else addTextField(fields, path);
        } else if (typeof value === 'number') {
          fields.set(path, { name: path, type: Number.isInteger(value) ? 'long' : 'float', source: path });
        } else if (typeof value === 'boolean') {
          fields.set(path, { name: path, type: 'boolean', source: path });
        } else {
          leafPaths.delete(path);
        }
      },
      (path) => {
        if (!leafPaths.has(path)) objects.add(path);
      },
    );
  }
  return { fields, objects };
}

const TYPE_OF: Record<string, FieldType> = {
  text: 'text',
  match_only_text: 'text',
  keyword: 'keyword',
  constant_keyword: 'keyword',
  wildcard: 'keyword',
  long: 'long',
  integer: 'long',
  short: 'long',
  byte: 'long',
  unsigned_long: 'long',
  float: 'float',
  half_float: 'float',
  double: 'double',
  scaled_float: 'double',
  date: 'date',
  date_nanos: 'date',
  boolean: 'boolean',
};

/**
 * A mapping from Elasticsearch's JSON: a `GET _mapping` answer (all indices merged), or
 * `{mappings: {properties}}`, or `{properties}`.
 */
export function mappingFromJson(json: unknown): Mapping {
  const fields = new Map<string, FieldSpec>();
  const objects = new Set<string>();
  const propertiesOf = (v: unknown): Record<string, unknown>[] => {
    if (!isPlainObject(v)) return [];
    if (isPlainObject(v.properties)) return [v.properties];
    if (isPlainObject(v.mappings)) return propertiesOf(v.mappings);
    return Object.values(v).flatMap(propertiesOf);
  };
  const roots = propertiesOf(json);
  if (roots.length === 0) {
    throw new EsalertError(
      'CONFIG_INVALID',
      'the mapping has no "properties" (expected the answer of GET <index>/_mapping)',
    );
  }
  const addField = (name: string, source: string, def: Record<string, unknown>) => {
    const typeName = String(def.type);
    const type = TYPE_OF[typeName];
    if (!type) {
      throw new EsalertError(
        'CONFIG_INVALID',
        `field "${name}" has type "${typeName}", which the in-memory search backend does not support (supported: ${Object.keys(TYPE_OF).join(', ')})`,
      );
    }
    for (const setting of ['analyzer', 'search_analyzer', 'normalizer']) {
      const v = def[setting];
      if (v !== undefined && v !== 'standard' && v !== 'default') {
        throw new EsalertError(
          'CONFIG_INVALID',
          `field "${name}" has ${setting} "${String(v)}", which the in-memory search backend does not support (text fields use the standard analyzer, keyword fields no normalizer)`,
        );
      }
    }
    const spec: FieldSpec = { name, type, source };
    if (type === 'keyword' && typeof def.ignore_above === 'number') spec.ignoreAbove = def.ignore_above;
    if (type === 'date') {
      try {
        spec.formats = typeof def.format === 'string' ? parseDateFormats(def.format) : DEFAULT_DATE_FORMATS;
      } catch (err) {
        throw new EsalertError('CONFIG_INVALID', `field "${name}": ${(err as Error).message}`);
      }
    }
    fields.set(name, spec);
  };
  const walk = (props: Record<string, unknown>, prefix: string) => {
    for (const [key, raw] of Object.entries(props)) {
      if (!isPlainObject(raw)) continue;
      const path = prefix ? `${prefix}.${key}` : key;
      if (raw.type === undefined || raw.type === 'object' || raw.type === 'nested') {
        objects.add(path);
        if (isPlainObject(raw.properties)) walk(raw.properties, path);
        continue;
      }
      addField(path, path, raw);
      if (isPlainObject(raw.fields)) {
        for (const [sub, subDef] of Object.entries(raw.fields)) {
          if (isPlainObject(subDef)) addField(`${path}.${sub}`, path, subDef);
        }
      }
    }
  };
  for (const root of roots) walk(root, '');
  return { fields, objects };
}

/** `*` and `?`-free names match themselves; patterns use `*` as "any characters" (Elasticsearch's simple match). */
export function fieldPattern(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`, 's');
}
