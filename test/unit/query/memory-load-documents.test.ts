import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { type EsalertError, isEsalertError } from '../../../src/errors/esalert-error.ts';
import { loadDocuments, parseDocuments } from '../../../src/query/memory/load-documents.ts';

const dir = mkdtempSync(join(tmpdir(), 'esalert-docs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function failure(path: string): Promise<EsalertError> {
  const err = await loadDocuments(path).catch((e: unknown) => e);
  expect(isEsalertError(err, 'DATA_INVALID')).toBe(true);
  return err as EsalertError;
}

describe('loadDocuments', () => {
  it('reads NDJSON: one document per line, blank lines skipped, _id and _index taken out of _source', async () => {
    const path = file(
      'events.ndjson',
      '{"_id": "a", "_index": "eventrouter-2024-05-14", "event": {"reason": "BackOff"}}\r\n\n{"_id": 7, "n": 1}\n',
    );
    expect(await loadDocuments(path)).toEqual([
      { _id: 'a', _index: 'eventrouter-2024-05-14', _source: { event: { reason: 'BackOff' } } },
      { _id: '7', _source: { n: 1 } },
    ]);
  });

  it('reads gzip-compressed files, naming the .gz file in errors', async () => {
    const path = join(dir, 'events.ndjson.gz');
    writeFileSync(path, gzipSync('{"_id": "a", "n": 1}\n{"_id": "b", "n": 2}\n'));
    expect((await loadDocuments(path)).map((d) => d._id)).toEqual(['a', 'b']);
    const bad = join(dir, 'bad.ndjson.gz');
    writeFileSync(bad, gzipSync('{"n": 1}\n{oops}\n'));
    const err = await failure(bad);
    expect(err.message).toMatch(/bad\.ndjson\.gz:2/);
  });

  it('reads a JSON array or a single object, and search hits as Elasticsearch returns them', async () => {
    const arr = file(
      'events.json',
      JSON.stringify([{ a: 1 }, { _id: 'h', _index: 'i', _source: { b: 2 }, sort: [1] }]),
    );
    const docs = await loadDocuments(arr);
    expect(docs[1]).toEqual({ _id: 'h', _index: 'i', _source: { b: 2 } });
    expect(docs[0]!._source).toEqual({ a: 1 });
    const one = file('one.json', '{"_id": "x", "c": 3}');
    expect(await loadDocuments(one)).toEqual([{ _id: 'x', _source: { c: 3 } }]);
  });

  it('gives documents without _id a deterministic id, distinct for identical documents', async () => {
    const path = file('noid.ndjson', '{"a":1}\n{"a":1}\n');
    const first = await loadDocuments(path);
    const second = await loadDocuments(path);
    expect(first.map((d) => d._id)).toEqual(second.map((d) => d._id));
    expect(first[0]!._id).not.toBe(first[1]!._id);
    expect(first[0]!._id).toMatch(/^[\w-]{20}$/);
  });

  it('guesses the format of other extensions', () => {
    expect(parseDocuments('[{"a":1},{"a":2}]', 'dump.txt')).toHaveLength(2);
    expect(parseDocuments('{"a":1}\n{"a":2}\n', 'dump.txt')).toHaveLength(2);
    expect(parseDocuments('{"a":1}', 'dump.txt')).toHaveLength(1);
  });

  it('names the file and line of a malformed NDJSON line', async () => {
    const path = file('bad.ndjson', '{"a":1}\n{"a":\n');
    const err = await failure(path);
    expect(err.location).toEqual({ file: path, line: 2 });
    expect(err.message).toMatch(/bad\.ndjson:2: invalid JSON/);
  });

  it('names the line of invalid JSON and of a document that is not an object', async () => {
    const broken = file('broken.json', '[\n  {"a": 1},\n  {"a": }\n]');
    const err = await failure(broken);
    expect(err.location?.line).toBe(3);
    const notObject = file('scalar.json', '[\n  {"a": 1},\n  42\n]');
    const err2 = await failure(notObject);
    expect(err2.location?.line).toBe(3);
    expect(err2.message).toMatch(/must be a JSON object/);
    const badId = file('badid.ndjson', '{"_id": {"x": 1}}');
    expect((await failure(badId)).message).toMatch(/_id must be a string or a number/);
  });

  it('reports a missing file', async () => {
    const err = await failure(join(dir, 'missing.ndjson'));
    expect(err.message).toMatch(/cannot read the documents file/);
  });
});
