/**
 * YAML files with positions: every config and rule error can name file:line:column.
 *
 * Read as ElastAlert 2 reads them, with PyYAML's FullLoader (yaml-parse.ts for the syntax,
 * yaml-construct.ts for the values): YAML 1.1 booleans and numbers by PyYAML's rules, `<<` merges,
 * quoted scalars continued at any column, and a key written twice is kept with its last value
 * and reported as a warning with both lines. `${VAR}` interpolation applies to values.
 */
import { readFileSync } from 'node:fs';
import { isMap, isNode, isPair, isScalar, isSeq, type Node, type Pair } from 'yaml';
import {
  type ErrorCode,
  EsalertError,
  formatLocation,
  type SourceLocation,
} from '../errors/esalert-error.ts';
import { describeUnset, type EnvLookup, interpolate } from './interpolate.ts';
import { constructYaml, YamlConstructError } from './yaml-construct.ts';
import { parsePyYaml } from './yaml-parse.ts';
import { constructInt } from './yaml-scalars.ts';

export type YamlPath = readonly (string | number)[];

export interface YamlSource {
  file: string;
  value: unknown;
  /** Where the value at `path` is written (the key's position for map entries); walks up to the nearest existing ancestor. */
  locate(path: YamlPath): SourceLocation;
  /** What was read but deserves a look (`file:line: ...`): keys written twice, integers too long for a number. */
  warnings?: string[];
}

export interface ParseYamlOptions {
  env?: EnvLookup;
  /** Error code for syntax errors (config vs rule files). */
  errorCode?: ErrorCode;
}

export function parseYaml(file: string, source: string, options: ParseYamlOptions = {}): YamlSource {
  const { text, doc, lineCounter, error } = parsePyYaml(source);
  const invalid = (message: string, offset: number): EsalertError => {
    const { line, col } = lineCounter.linePos(offset);
    return new EsalertError(options.errorCode ?? 'CONFIG_INVALID', `invalid YAML: ${message}`, {
      location: { file, line, column: col },
      fault: 'user',
    });
  };
  if (error) throw invalid(error.message, error.offset);

  const warnings: string[] = [];
  const lineOf = (node: Node) => lineCounter.linePos(node.range?.[0] ?? 0).line;
  let value: unknown = null;
  if (doc) {
    const env = options.env;
    const unset: { at: SourceLocation; message: string }[] = [];
    try {
      value = constructYaml(doc, {
        text,
        onDuplicateKey: (key, first, last) =>
          warnings.push(
            `${file}:${lineOf(last)}: key "${key}" is written twice (also on line ${lineOf(first)}); the last one is used`,
          ),
        onInexactInteger: (text, node) =>
          warnings.push(
            `${file}:${lineOf(node)}: integer ${text} is too long to be kept exactly; it is read as ${Number(constructInt(text))}`,
          ),
        ...(env
          ? {
              substitute: (text: string, offset: number) => {
                const r = interpolate(text, env);
                const { line, col } = lineCounter.linePos(offset);
                for (const u of r.unset)
                  unset.push({ at: { file, line, column: col }, message: describeUnset(u) });
                return r;
              },
            }
          : {}),
      });
    } catch (err) {
      if (err instanceof YamlConstructError) throw invalid(err.message, err.offset);
      throw err;
    }
    const [first, ...more] = unset;
    if (first) {
      // one error; each further unset variable on a line of its own, with its own position
      const rest = more.map((u) => `\n${formatLocation(u.at)}: ${u.message}`).join('');
      throw new EsalertError(options.errorCode ?? 'CONFIG_INVALID', first.message + rest, {
        location: first.at,
        fault: 'user',
      });
    }
  }

  const position = (node: Node | null | undefined): SourceLocation | undefined => {
    if (!node?.range) return undefined;
    const { line, col } = lineCounter.linePos(node.range[0]);
    return { file, line, column: col };
  };

  const locate = (path: YamlPath): SourceLocation => {
    if (!doc) return { file, line: 1 };
    for (let n = path.length; n > 0; n--) {
      const parent = n === 1 ? doc.contents : doc.getIn(path.slice(0, n - 1), true);
      const last = path[n - 1];
      if (isMap(parent)) {
        // a key written twice: the last one is the one used
        const pair = parent.items.findLast(
          (p: Pair) => isScalar(p.key) && String(p.key.value) === String(last),
        );
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

  return { file, value, locate, warnings };
}

export function readYamlFile(file: string, options: ParseYamlOptions = {}): YamlSource {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new EsalertError(
      e.code === 'ENOENT' ? 'CONFIG_NOT_FOUND' : (options.errorCode ?? 'CONFIG_INVALID'),
      e.code === 'ENOENT' ? `file not found: ${file}` : `cannot read ${file}: ${e.message}`,
      { cause: err, fault: 'user' },
    );
  }
  return parseYaml(file, decodeUtf8(file, bytes, options.errorCode), options);
}

/** UTF-8, as ElastAlert 2 reads its files: bytes that are not UTF-8 are an error, never replaced. */
function decodeUtf8(file: string, bytes: Buffer, code: ErrorCode = 'CONFIG_INVALID'): string {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  try {
    return decoder.decode(bytes);
  } catch {
    // a line break byte never occurs inside a multi-byte character: find the first bad line
    let line = 1;
    for (let start = 0; start < bytes.length; line++) {
      const nl = bytes.indexOf(0x0a, start);
      const end = nl === -1 ? bytes.length : nl + 1;
      try {
        decoder.decode(bytes.subarray(start, end));
      } catch {
        break;
      }
      start = end;
    }
    throw new EsalertError(code, 'the file is not UTF-8 text: save it as UTF-8', {
      location: { file, line },
      fault: 'user',
    });
  }
}
