import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { interpolate } from '../../../src/config/interpolate.ts';
import { parseYaml } from '../../../src/config/yaml-source.ts';

const env = (k: string) => ({ HOST: 'es.local', PORT: '9201', EMPTY: '', TOKEN: 'abc' })[k];

describe('interpolate', () => {
  it.each([
    ['${HOST}', 'es.local'],
    ['$HOST:$PORT', 'es.local:9201'],
    ['http://${HOST}:${PORT}/x', 'http://es.local:9201/x'],
    ['$MISSING and $5', '$MISSING and $5'],
    ['${MISSING:-fallback}', 'fallback'],
    ['${EMPTY:-fallback}', 'fallback'],
    ['${HOST:-fallback}', 'es.local'],
    ['${MISSING:-}', ''],
    ['${TOKEN:?the robot token}', 'abc'],
    ['${not a name}', '${not a name}'],
    ['cost: $$5', 'cost: $$5'],
    ['no dollar', 'no dollar'],
  ])('%s -> %s', (input, expected) => {
    expect(interpolate(input, env).value).toBe(expected);
  });

  it('an unset ${VAR} without a default is reported, not used as text', () => {
    expect(interpolate('sign=${MISSING}&t=${TOKEN}', env)).toMatchObject({
      value: 'sign=${MISSING}&t=abc',
      unset: [{ name: 'MISSING' }],
    });
    expect(interpolate('${MISSING:?the DingTalk signing secret}', env).unset).toEqual([
      { name: 'MISSING', message: 'the DingTalk signing secret' },
    ]);
    expect(interpolate('${EMPTY:?needed}', env).unset).toEqual([{ name: 'EMPTY', message: 'needed' }]);
    // set but empty is a value, as in the shell
    expect(interpolate('${EMPTY}', env)).toMatchObject({ value: '', unset: [] });
  });

  it('reads ${file:/path} trimmed (mounted secrets)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'esalert-interp-'));
    writeFileSync(join(dir, 'token'), 's3cret\n');
    expect(interpolate(`\${file:${join(dir, 'token')}}`, env).value).toBe('s3cret');
    expect(() => interpolate('${file:/does/not/exist}', env)).toThrow(/cannot be read/);
  });
});

describe('parseYaml', () => {
  it('interpolates values (not keys) and re-reads a whole plain ${VAR} as YAML would', () => {
    const src = parseYaml('c.yaml', 'es_host: ${HOST}\nes_port: ${PORT}\nquoted: "${PORT}"\n$HOST: x\n', {
      env,
    });
    expect(src.value).toEqual({ es_host: 'es.local', es_port: 9201, quoted: '9201', $HOST: 'x' });
  });

  it('refuses unset variables with file:line:column, naming each', () => {
    const text =
      'name: r\ndingtalk_access_token: ${DINGTALK_TOKEN}\ndingtalk_sign: "${DINGTALK_SIGN:?signs each message}"\n';
    let err: unknown;
    try {
      parseYaml('rules/r.yaml', text, { env, errorCode: 'RULE_INVALID' });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({
      code: 'RULE_INVALID',
      fault: 'user',
      location: { file: 'rules/r.yaml', line: 2 },
    });
    expect((err as Error).message).toBe(
      'rules/r.yaml:2:24: environment variable DINGTALK_TOKEN is not set: set it, or give a default with ${DINGTALK_TOKEN:-default}\n' +
        'rules/r.yaml:3:16: environment variable DINGTALK_SIGN is not set: signs each message',
    );
    // without an environment (schema checks) nothing is interpolated
    expect(parseYaml('r.yaml', text).value).toMatchObject({ dingtalk_access_token: '${DINGTALK_TOKEN}' });
  });

  it('reads YAML 1.1 booleans like PyYAML', () => {
    expect(parseYaml('c.yaml', 'a: yes\nb: off\nc: true\n').value).toEqual({ a: true, b: false, c: true });
  });

  it('reads numbers like PyYAML: floats need a dot, exponents a sign', () => {
    const v = (s: string) => (parseYaml('c.yaml', `k: ${s}\n`).value as { k: unknown }).k;
    // strings for PyYAML, numbers in YAML 1.1 as the yaml package reads it
    for (const s of ['.', '1e3', '1.0e3', '-.5', '0o17']) expect(v(s)).toBe(s);
    expect([v('1.0e+3'), v('.5'), v('1.'), v('1_000'), v('017'), v('0x1F'), v('1:30')]).toEqual([
      1000, 0.5, 1, 1000, 15, 31, 90,
    ]);
    expect(v('.inf')).toBe(Infinity);
  });

  it('reports syntax errors with file, line and column', () => {
    expect(() => parseYaml('rules/bad.yaml', 'name: x\nfilter:\n  - term: {a: 1\n')).toThrow(
      /^rules\/bad\.yaml:\d+:\d+: invalid YAML/,
    );
  });

  it('keeps the last of a key written twice, as PyYAML does, and warns with both lines', () => {
    const src = parseYaml('r.yaml', 'name: a\ntype: any\nname: b\n');
    expect(src.value).toEqual({ name: 'b', type: 'any' });
    expect(src.warnings).toEqual([
      'r.yaml:3: key "name" is written twice (also on line 1); the last one is used',
    ]);
    expect(src.locate(['name'])).toMatchObject({ line: 3 });
  });

  it('locates keys, list items and nested values', () => {
    const src = parseYaml(
      'r.yaml',
      'name: x\nfilter:\n  - query_string:\n      query: "a:b"\n  - term:\n      f: 1\nrealert:\n  minutes: 5\n',
    );
    expect(src.locate(['name'])).toEqual({ file: 'r.yaml', line: 1, column: 1 });
    expect(src.locate(['filter', 1])).toMatchObject({ line: 5 });
    expect(src.locate(['filter', 0, 'query_string', 'query'])).toMatchObject({ line: 4 });
    expect(src.locate(['realert', 'minutes'])).toMatchObject({ line: 8 });
    // missing keys fall back to the nearest ancestor that exists
    expect(src.locate(['realert', 'hours'])).toMatchObject({ line: 7 });
    expect(src.locate(['nope'])).toMatchObject({ line: 1 });
  });
});
