/**
 * Reading YAML as ElastAlert 2 (PyYAML) reads it, with positions: the cases rule files hit.
 * test/pyyaml/ compares the same reader with PyYAML itself over a large corpus.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseYaml, readYamlFile } from '../../../src/config/yaml-source.ts';
import { YamlTimestamp } from '../../../src/config/yaml-scalars.ts';

const read = (text: string) => parseYaml('r.yaml', text).value as Record<string, unknown>;
const fails = (text: string) => () => parseYaml('r.yaml', text, { errorCode: 'RULE_INVALID' });

describe('parseYaml reads what PyYAML reads', () => {
  it('continues quoted scalars on lines at any column, 0 included', () => {
    expect(read('a:\n  text: "one\ntwo\n\n   three"\nb: \'x\ny\'\n')).toEqual({
      a: { text: 'one two\nthree' },
      b: 'x y',
    });
    expect(read('a: [1,\n2, {b: c,\nd: e}]\n')).toEqual({ a: [1, 2, { b: 'c', d: 'e' }] });
  });

  it('keeps the last of a key written twice and says where both are', () => {
    const src = parseYaml('r.yaml', 'realert:\n  minutes: 5\nname: x\nrealert:\n  minutes: 0\n');
    expect(src.value).toEqual({ realert: { minutes: 0 }, name: 'x' });
    expect(src.warnings).toEqual([
      'r.yaml:4: key "realert" is written twice (also on line 1); the last one is used',
    ]);
    // a merged key overridden by the mapping's own is not a duplicate
    expect(parseYaml('r.yaml', 'd: &d {a: 1}\ne:\n  <<: *d\n  a: 2\n').warnings).toEqual([]);
  });

  it('merges `<<` like PyYAML, including its precedence quirk for one-character keys', () => {
    expect(read('a: &a {x: 1, long: 1}\nb: &b {x: 2, long: 2}\nc:\n  <<: [*a, *b]\n  own: 3\n').c).toEqual({
      x: 1,
      long: 2,
      own: 3,
    });
  });

  it('types scalars by PyYAML rules and explicit tags', () => {
    expect(
      read(
        'a: 1e3\nb: 1.0e+3\nc: 0o17\nd: 017\ne: 1:30\nf: yes\ng: y\nh: ~\ni: !!int "0x1F"\nj: !!str 12\nk: ! 12\nl: !!float 2\n',
      ),
    ).toEqual({
      a: '1e3',
      b: 1000,
      c: '0o17',
      d: 15,
      e: 90,
      f: true,
      g: 'y',
      h: null,
      i: 31,
      j: '12',
      k: 12,
      l: 2,
    });
    const v = read('d: 2024-01-01\nt: 2024-01-01 10:00:00+08:00\nb: !!binary aGk=\n');
    expect(v.d).toBeInstanceOf(YamlTimestamp);
    expect(JSON.stringify(v)).toBe(
      '{"d":"2024-01-01","t":"2024-01-01T10:00:00+08:00","b":{"0":104,"1":105}}',
    );
    expect((v.t as Date).toISOString()).toBe('2024-01-01T02:00:00.000Z');
  });

  it('reads integers beyond 2^53 as the nearest number and says so', () => {
    const src = parseYaml('r.yaml', 'id: 12345678901234567890\n');
    expect(src.value).toEqual({ id: 12345678901234567000 });
    expect(src.warnings).toEqual([
      'r.yaml:1: integer 12345678901234567890 is too long to be kept exactly; it is read as 12345678901234567000',
    ]);
  });

  it('reads Windows and old Mac line ends, a byte order mark and document markers', () => {
    expect(read('\ufeff---\r\na: "x\r\n  y"\r\nb: 1\r\n...\r\n')).toEqual({ a: 'x y', b: 1 });
    expect(read('a: 1\rb: 2\r')).toEqual({ a: 1, b: 2 });
  });

  it('refuses what PyYAML refuses, with file:line:column', () => {
    expect(fails('a: 1\nb:\tc\n')).toThrow(
      /^r\.yaml:2:3: invalid YAML: a tab outside a quoted or block scalar/,
    );
    expect(fails('a: &x 1\nb: &x 2\n')).toThrow(/^r\.yaml:2:7: invalid YAML: found duplicate anchor "x"/);
    expect(fails('a: !vault x\n')).toThrow(
      /r\.yaml:1:11: invalid YAML: could not determine a constructor for the tag '!vault'/,
    );
    expect(fails('a: 1\n---\nb: 2\n')).toThrow(/r\.yaml:2:1: invalid YAML: expected a single document/);
    expect(fails('a: ["b" c]\n')).toThrow(
      /r\.yaml:1:9: invalid YAML: Missing , or : between flow sequence items/,
    );
    expect(fails('a: "bell \x07"\n')).toThrow(/r\.yaml:1:10: invalid YAML: special character U\+0007/);
    expect(fails('a: 2023-02-29\n')).toThrow(/r\.yaml:1:4: invalid YAML: day is out of range for month/);
  });

  it('never quotes the value it refuses (it may be a secret)', () => {
    expect(fails('password: !!int hunter2\n')).toThrow(
      /^r\.yaml:1:\d+: invalid YAML: not an integer in base 10$/,
    );
    expect(fails('password: !!bool hunter2\n')).toThrow(/^[^h]*$/);
  });

  it('refuses a file that is not UTF-8, naming the line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'esalert-yaml-'));
    const file = join(dir, 'latin1.yaml');
    writeFileSync(
      file,
      Buffer.concat([Buffer.from('name: x\nowner: '), Buffer.from([0xe9]), Buffer.from('\n')]),
    );
    expect(() => readYamlFile(file)).toThrow(/latin1\.yaml:2: the file is not UTF-8 text/);
  });

  it('interpolates values, never keys; a whole ${VAR} in a plain scalar reads as a number or boolean', () => {
    const env = (n: string) => ({ PORT: '9201', ON: 'yes', EMPTY: '', HOST: 'es' })[n];
    const v = parseYaml(
      'c.yaml',
      'p: ${PORT}\nq: "${PORT}"\nr: x${PORT}\ns: ${ON}\nt: ${EMPTY}\n$HOST: k\n',
      { env },
    ).value;
    expect(v).toEqual({ p: 9201, q: '9201', r: 'x9201', s: true, t: '', $HOST: 'k' });
  });
});
