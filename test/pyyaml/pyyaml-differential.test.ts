/**
 * esalert reads YAML as ElastAlert 2 does: PyYAML 6 (FullLoader) from PyPI, in a virtualenv the
 * harness makes once, loads a corpus of awkward YAML (hand-written cases in the shapes of real
 * rule files, and seeded generated documents) and esalert must produce the same data, types
 * included (int vs float, str, dates, bytes, tuples, sets, key order), or refuse the same files.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseYaml } from '../../src/config/yaml-source.ts';
import { ensurePyYaml, PYYAML_VERSION, type PyYaml, type PyYamlResult } from '../harness/pyyaml.ts';
import { type Encoded, loadEncoded } from './encode.ts';
import { generatedCases, type YamlCase } from './generated-cases.ts';
import { HAND_CASES } from './hand-cases.ts';

const SEED = 'pyyaml-differential-1';
const GENERATED = 2500;

/**
 * Cases where esalert knowingly reads differently from PyYAML, by case name, with the reason.
 * Reviewed: it stays empty.
 */
const EXCEPTIONS: ReadonlyMap<string, string> = new Map();

interface Outcome {
  case: YamlCase;
  file: string;
  pyyaml: PyYamlResult;
  esalert: Encoded;
}

const agrees = (o: Outcome) =>
  'error' in o.pyyaml
    ? 'error' in o.esalert
    : 'ok' in o.esalert && isDeepStrictEqual(o.pyyaml.ok, o.esalert.ok);

describe(`YAML is read as PyYAML ${PYYAML_VERSION} reads it`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'esalert-pyyaml-'));
  const cases: YamlCase[] = [...HAND_CASES, ...generatedCases(SEED, GENERATED)];
  let pyyaml: PyYaml;
  let outcomes: Outcome[];

  beforeAll(() => {
    pyyaml = ensurePyYaml();
    const files = cases.map((c, i) => {
      const file = join(dir, `${String(i).padStart(5, '0')}.yaml`);
      writeFileSync(file, c.text);
      return file;
    });
    const results = pyyaml.load(files);
    outcomes = cases.map((c, i) => ({
      case: c,
      file: files[i]!,
      pyyaml: results[i]!,
      esalert: loadEncoded(files[i]!),
    }));
  }, 900_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the PyYAML that ElastAlert 2 2.31 installs', () => {
    expect(pyyaml.version).toBe(PYYAML_VERSION);
  });

  it('reads every case as PyYAML does; the exception list is empty', () => {
    const differences = outcomes
      .filter((o) => !agrees(o) && !EXCEPTIONS.has(o.case.name))
      .map((o) => ({
        case: o.case.name,
        text: o.case.text.length > 400 ? `${o.case.text.slice(0, 400)}...` : o.case.text,
        pyyaml: 'ok' in o.pyyaml ? o.pyyaml.ok : o.pyyaml.error,
        esalert: 'ok' in o.esalert ? o.esalert.ok : o.esalert.error,
      }));
    expect(differences).toEqual([]);
    expect([...EXCEPTIONS.keys()]).toEqual([]);
  });

  it('hand-written cases do what they say with PyYAML', () => {
    const wrong = outcomes
      .filter((o) => HAND_CASES.includes(o.case as never))
      .filter(
        (o) => ('ok' in o.pyyaml ? 'loads' : 'refuses') !== (o.case as (typeof HAND_CASES)[number]).pyyaml,
      )
      .map((o) => o.case.name);
    expect(wrong).toEqual([]);
  });

  it('the generated corpus is mostly loadable and exercises the awkward parts', () => {
    const generated = outcomes.filter((o) => o.case.name.startsWith('generated-'));
    const loaded = generated.filter((o) => 'ok' in o.pyyaml);
    expect(loaded.length).toBeGreaterThan(generated.length * 0.55);
    expect(generated.length - loaded.length).toBeGreaterThan(generated.length * 0.15);
    const count = (test: (text: string) => boolean) => loaded.filter((o) => test(o.case.text)).length;
    const features = {
      crlf: count((t) => t.includes('\r\n')),
      bom: count((t) => t.startsWith('\ufeff')),
      tags: count((t) => /!!\w/.test(t)),
      merge: count((t) => t.includes('<<: ')),
      alias: count((t) => /\*a\d/.test(t)),
      duplicateKeys: count((t) => {
        const keys = t
          .split('\n')
          .filter((l) => /^\w+:/.test(l))
          .map((l) => l.split(':')[0]);
        return new Set(keys).size < keys.length;
      }),
      quotedAtColumn0: count((t) => /: ["'][^"'\n]*\n[^ \n#-]/.test(t)),
      blockScalar: count((t) => /: [|>][-+1-9]*\s/.test(t)),
      tabInQuotes: count((t) => /"[^"\n]*\t/.test(t)),
    };
    for (const [feature, n] of Object.entries(features)) expect(n, feature).toBeGreaterThan(10);
  });

  it('the values rules get are the same data, as JavaScript values', () => {
    // parseYaml's plain output: mappings as objects, numbers as numbers, tuples as arrays
    const plain = (v: unknown): unknown => {
      if (v === null || typeof v !== 'object') return v;
      if (Array.isArray(v)) return v.map(plain);
      const o = v as Record<string, unknown>;
      if ('int' in o) return Number(o.int);
      if ('float' in o)
        return o.float === 'nan' ? NaN : Buffer.from(o.float as string, 'hex').readDoubleBE(0);
      if ('tuple' in o) return (o.tuple as unknown[]).map(plain);
      if ('map' in o)
        return Object.fromEntries((o.map as [unknown, unknown][]).map(([k, x]) => [k, plain(x)]));
      return undefined; // dates, bytes, sets: compared by the exact test above
    };
    const jsonish = (v: unknown): unknown =>
      v === null || typeof v !== 'object'
        ? v
        : Array.isArray(v)
          ? v.map(jsonish)
          : Object.getPrototypeOf(v) === Object.prototype
            ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonish(x)]))
            : undefined;
    let compared = 0;
    for (const o of outcomes) {
      if (!('ok' in o.pyyaml)) continue;
      const text = JSON.stringify(o.pyyaml.ok);
      // only documents whose keys are all strings and that hold no dates, bytes or sets
      if (
        /"(date|datetime|bytes|set)":|\[\{"(int|float|tuple|map|date|datetime|bytes)"|\[(null|true|false),/.test(
          text,
        )
      )
        continue;
      const value = parseYaml(o.file, o.case.text).value;
      expect(jsonish(value), o.case.name).toStrictEqual(plain(o.pyyaml.ok));
      compared += 1;
    }
    expect(compared).toBeGreaterThan(500);
  });
});
