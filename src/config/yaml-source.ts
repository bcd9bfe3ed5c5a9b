/**
 * YAML files with positions: every config and rule error can name file:line:column.
 *
 * Parsed as YAML 1.1 (what PyYAML, and so ElastAlert 2, reads: `yes`/`no` are booleans, `<<` merges),
 * with `${VAR}` interpolation applied to string values.
 */
import { readFileSync } from 'node:fs';
import {
  LineCounter,
  type Node,
  type Pair,
  isMap,
  isNode,
  isPair,
  isScalar,
  isSeq,
  parse,
  parseDocument,
  type SchemaOptions,
  visit,
} from 'yaml';
import {
  type ErrorCode,
  EsalertError,
  formatLocation,
  type SourceLocation,
} from '../errors/esalert-error.ts';
import { describeUnset, type EnvLookup, interpolate } from './interpolate.ts';

export type YamlPath = readonly (string | number)[];

export interface YamlSource {
  file: string;
  value: unknown;
  /** Where the value at `path` is written (the key's position for map entries); walks up to the nearest existing ancestor. */
  locate(path: YamlPath): SourceLocation;
}

export interface ParseYamlOptions {
  env?: EnvLookup;
  /** Error code for syntax errors (config vs rule files). */
  errorCode?: ErrorCode;
}

type CustomTag = Extract<NonNullable<SchemaOptions['customTags']>, unknown[]>[number];

/**
 * PyYAML reads yes/no/on/off as booleans (YAML 1.1) but not y/n, which the YAML 1.1 spec (and
 * the yaml package) also do: `index: y` must stay a string, as ElastAlert 2 reads it.
 */
function pyyamlBooleans(tags: CustomTag[]): CustomTag[] {
  return tags.map((t) => {
    if (typeof t !== 'object' || t.tag !== 'tag:yaml.org,2002:bool' || !('test' in t) || !t.test) return t;
    const truthy = t.test.test('yes');
    return {
      ...t,
      test: truthy
        ? /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/
        : /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/,
    } as CustomTag;
  });
}

/**
 * PyYAML's floats need a dot and a signed exponent: `1e3`, `1.0e3` and `.` stay strings
 * (the yaml package reads them as numbers).
 */
const PY_FLOAT = /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*|\.[0-9_]+)$/;
const PY_FLOAT_EXP = /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*|\.[0-9_]+)[eE][-+][0-9]+$/;

function pyyamlFloats(tags: CustomTag[]): CustomTag[] {
  return tags.map((t) => {
    if (typeof t !== 'object' || t.tag !== 'tag:yaml.org,2002:float' || !('test' in t) || !t.test) return t;
    if (t.test.test('.inf') || t.test.test('.nan')) return t;
    return { ...t, test: 'format' in t && t.format === 'EXP' ? PY_FLOAT_EXP : PY_FLOAT } as CustomTag;
  });
}

export function parseYaml(file: string, text: string, options: ParseYamlOptions = {}): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    version: '1.1',
    lineCounter,
    prettyErrors: true,
    uniqueKeys: true,
    merge: true,
    customTags: (tags) => pyyamlFloats(pyyamlBooleans(tags as CustomTag[])),
  });
  const code = options.errorCode ?? 'CONFIG_INVALID';
  const first = doc.errors[0];
  if (first) {
    const pos = first.linePos?.[0];
    // pretty messages end with " at line N, column M:" and a code excerpt; we give the position ourselves
    const message = (first.message.split('\n')[0] ?? first.message).replace(
      / at line \d+, column \d+:?$/,
      '',
    );
    throw new EsalertError(code, `invalid YAML: ${message}`, {
      location: pos ? { file, line: pos.line, column: pos.col } : { file },
    });
  }
  if (options.env) {
    const env = options.env;
    const unset: { at: SourceLocation; message: string }[] = [];
    visit(doc, {
      Scalar(key, node) {
        if (key === 'key' || typeof node.value !== 'string') return;
        const r = interpolate(node.value, env);
        for (const u of r.unset) {
          const pos = node.range ? lineCounter.linePos(node.range[0]) : { line: 1, col: 1 };
          unset.push({ at: { file, line: pos.line, column: pos.col }, message: describeUnset(u) });
        }
        if (!r.changed) return;
        // A plain scalar that was exactly `${VAR}` reads as YAML would after text substitution (9200 -> number).
        if (r.whole && node.type === 'PLAIN') {
          const reread: unknown = parse(r.value, { version: '1.1' });
          if (typeof reread === 'number' || typeof reread === 'boolean') {
            node.value = reread;
            return;
          }
        }
        node.value = r.value;
      },
    });
    const [first, ...more] = unset;
    if (first) {
      // one error; each further unset variable on a line of its own, with its own position
      const rest = more.map((u) => `\n${formatLocation(u.at)}: ${u.message}`).join('');
      throw new EsalertError(code, first.message + rest, { location: first.at, fault: 'user' });
    }
  }
  const value: unknown = doc.toJS({ maxAliasCount: 1000 });

  const position = (node: Node | null | undefined): SourceLocation | undefined => {
    if (!node?.range) return undefined;
    const { line, col } = lineCounter.linePos(node.range[0]);
    return { file, line, column: col };
  };

  const locate = (path: YamlPath): SourceLocation => {
    for (let n = path.length; n > 0; n--) {
      const parent = n === 1 ? doc.contents : doc.getIn(path.slice(0, n - 1), true);
      const last = path[n - 1];
      if (isMap(parent)) {
        const pair = parent.items.find((p: Pair) => isScalar(p.key) && String(p.key.value) === String(last));
        if (pair && isNode(pair.key)) {
          const loc = position(pair.key);
          if (loc) return loc;
        }
      } else if (isSeq(parent) && typeof last === 'number') {
        const item = parent.items[last];
        if (isNode(item)) {
          const loc = position(item);
          if (loc) return loc;
        } else if (isPair(item)) {
          const loc = position(item.key as Node);
          if (loc) return loc;
        }
      }
    }
    return position(doc.contents as Node | null) ?? { file, line: 1 };
  };

  return { file, value, locate };
}

export function readYamlFile(file: string, options: ParseYamlOptions = {}): YamlSource {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new EsalertError(
      e.code === 'ENOENT' ? 'CONFIG_NOT_FOUND' : (options.errorCode ?? 'CONFIG_INVALID'),
      e.code === 'ENOENT' ? `file not found: ${file}` : `cannot read ${file}: ${e.message}`,
      { cause: err, fault: 'user' },
    );
  }
  return parseYaml(file, text, options);
}
