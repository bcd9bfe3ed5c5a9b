/**
 * Documents for offline evaluation, from a file as ElastAlert 2's `--data` takes them: `.ndjson`
 * (or `.jsonl`) with one JSON document per line, or `.json` holding an array of documents or a
 * single one. A document is its `_source`; top-level `_id` and `_index` are taken out of it and
 * kept. A hit as Elasticsearch returns it (`{_id, _index, _source: {...}}`) is read as such.
 * Documents without an `_id` get a deterministic one (a hash of their position and text), so
 * repeated runs see the same ids. Errors name the file and line.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { EsalertError } from '../../errors/esalert-error.ts';
import { lookupField } from '../../model/lookup.ts';
import { parseTimestamp } from '../../util/time.ts';
import type { MemoryDocument } from './memory-search-port.ts';

export type DocumentsFormat = 'ndjson' | 'json';

function formatOf(file: string, text: string): DocumentsFormat {
  const lower = file.toLowerCase();
  if (lower.endsWith('.ndjson') || lower.endsWith('.jsonl')) return 'ndjson';
  if (lower.endsWith('.json')) return 'json';
  // unknown extension: an array is JSON; several lines that each hold an object are NDJSON
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[')) return 'json';
  try {
    JSON.parse(text);
    return 'json';
  } catch {
    return 'ndjson';
  }
}

function fail(file: string, line: number | undefined, message: string): EsalertError {
  return new EsalertError('DATA_INVALID', message, {
    location: { file, ...(line !== undefined ? { line } : {}) },
  });
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function generatedId(position: number, text: string): string {
  return createHash('sha1').update(`${position}\n${text}`).digest('base64url').slice(0, 20);
}

/** One document from its parsed JSON. */
function toDocument(
  value: unknown,
  file: string,
  line: number | undefined,
  position: number,
  /** The document's text, read only to generate an _id when it has none. */
  text: () => string,
): MemoryDocument {
  if (!isObject(value)) {
    throw fail(
      file,
      line,
      `a document must be a JSON object, got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`,
    );
  }
  let source: Record<string, unknown>;
  let id: unknown;
  let index: unknown;
  if (
    isObject(value._source) &&
    Object.keys(value).every((k) => k.startsWith('_') || k === 'sort' || k === 'fields')
  ) {
    // a search hit
    source = value._source;
    id = value._id;
    index = value._index;
  } else {
    const { _id, _index, ...rest } = value;
    source = rest;
    id = _id;
    index = _index;
  }
  if (id !== undefined && typeof id !== 'string' && typeof id !== 'number') {
    throw fail(file, line, `_id must be a string or a number, got ${JSON.stringify(id)}`);
  }
  if (index !== undefined && typeof index !== 'string') {
    throw fail(file, line, `_index must be a string, got ${JSON.stringify(index)}`);
  }
  return {
    _id: id === undefined ? generatedId(position, text()) : String(id),
    ...(index !== undefined ? { _index: index } : {}),
    _source: source,
  };
}

/** Line and column (1-based) of a character offset. */
function lineOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lastBreak = -1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lastBreak = i;
    }
  }
  return { line, column: offset - lastBreak };
}

/**
 * Where JSON.parse gave up: JavaScript engines do not always say, so a small scanner finds the
 * first character that cannot continue a JSON text.
 */
function jsonErrorOffset(text: string): number {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const literal = (word: string) => {
    if (text.startsWith(word, i)) i += word.length;
    else fail();
  };
  const string = () => {
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text.charCodeAt(i) < 0x20) fail();
      if (text[i] === '\\') {
        i++;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail();
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? '')) fail();
      }
      i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  const number = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m) fail();
    i += m![0].length;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        string();
        ws();
        if (text[i] !== ':') fail();
        i++;
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return;
        } else fail();
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return;
        } else fail();
      }
    } else if (c === '"') string();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else number();
  };
  try {
    value();
    ws();
    if (i < text.length) fail();
  } catch (at) {
    if (typeof at === 'number') return at;
    throw at;
  }
  return text.length;
}

/** JSON.parse's complaint, shortened, with the line and column of the offending character. */
function jsonError(err: unknown, text: string): { message: string; line: number } {
  const { line, column } = lineOf(text, jsonErrorOffset(text));
  const reason = (err as Error).message
    .split('\n')[0]!
    .replace(/, "?(\.\.\.)?".*$/, '')
    .replace(/ in JSON at position \d+.*$/, '');
  return { message: `invalid JSON at column ${column}: ${reason}`, line };
}

/** Parses documents from text; `file` names the source in errors and decides the format. */
export function parseDocuments(
  text: string,
  file: string,
  format: DocumentsFormat = formatOf(file, text),
): MemoryDocument[] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const docs: MemoryDocument[] = [];
  if (format === 'ndjson') {
    const lines = text.split('\n');
    lines.forEach((raw, i) => {
      const lineText = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (lineText.trim() === '') return;
      let value: unknown;
      try {
        value = JSON.parse(lineText);
      } catch (err) {
        throw fail(file, i + 1, jsonError(err, lineText).message);
      }
      docs.push(toDocument(value, file, i + 1, docs.length, () => lineText));
    });
    return docs;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const e = jsonError(err, text);
    throw fail(file, e.line, e.message);
  }
  const items = Array.isArray(value) ? value : [value];
  // the line where each document starts, for errors
  const lines = Array.isArray(value) ? itemLines(text) : [lineOf(text, text.search(/\S/)).line];
  items.forEach((item, i) => {
    docs.push(toDocument(item, file, lines[i], i, () => JSON.stringify(item)));
  });
  return docs;
}

/** Lines where the top-level array's elements start (a light scan that respects strings). */
function itemLines(text: string): number[] {
  const lines: number[] = [];
  let depth = 0;
  let line = 1;
  let inString = false;
  let expectItem = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n') line++;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (expectItem && !/\s/.test(c)) {
      lines.push(line);
      expectItem = false;
    }
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') {
      depth++;
      if (c === '[' && depth === 1) expectItem = true;
    } else if (c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 1) expectItem = true;
  }
  return lines;
}

/** Reads documents from a `.ndjson`/`.jsonl` or `.json` file, gzip-compressed or not (`.gz`). */
export async function loadDocuments(file: string): Promise<MemoryDocument[]> {
  let text: string;
  try {
    const bytes = await readFile(file);
    const gzipped = bytes[0] === 0x1f && bytes[1] === 0x8b;
    text = (gzipped ? gunzipSync(bytes) : bytes).toString('utf8');
  } catch (err) {
    throw new EsalertError('DATA_INVALID', `cannot read the documents file: ${(err as Error).message}`, {
      location: { file },
      cause: err,
    });
  }
  return parseDocuments(text, file, formatOf(file.replace(/\.gz$/i, ''), text));
}

/** The first and last timestamps (`field`) of documents; those without one are skipped. */
export function timeSpan(docs: readonly MemoryDocument[], field: string): [number, number] | undefined {
  let lo = Infinity;
  let hi = -Infinity;
  for (const d of docs) {
    const t = parseTimestamp(lookupField(d._source, field));
    if (t === undefined) continue;
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  }
  return lo <= hi ? [lo, hi] : undefined;
}

/**
 * The window a run over a file covers by default: every document of the span, the first included
 * (queries start after their start) and the last one's second too.
 */
export function spanWindow([first, last]: [number, number]): { start: number; end: number } {
  return { start: first - 1, end: last + 1000 };
}
