/** Field lookup: ElastAlert 2's util_test cases for lookup_es_key, plus Python str() forms. */
import { describe, expect, it } from 'vitest';
import { keyOf, lookupField, pythonRepr, pythonStr, setField } from '../../../src/model/lookup.ts';

describe('lookupField (EA2 lookup_es_key)', () => {
  it('EA2 test_setting_keys', () => {
    const record = { Message: '12345', Fields: { ts: 'fail', severity: 'large', user: 'jimmay' } };
    expect(setField(record, 'Fields.ts', 12467267)).toBe(true);
    expect(lookupField(record, 'Fields.ts')).toBe(12467267);
  });
  it('EA2 test_looking_up_missing_keys', () => {
    const record = { Message: '12345', Fields: { severity: 'large', user: 'jimmay', null: null } };
    expect(lookupField(record, 'Fields.ts')).toBeUndefined();
    expect(lookupField(record, 'Fields.null.foo')).toBeUndefined();
  });
  it('EA2 test_looking_up_nested_keys (and the .keyword suffix)', () => {
    const record = { Message: '12345', Fields: { ts: 12467267, severity: 'large' } };
    expect(lookupField(record, 'Fields.ts')).toBe(12467267);
    expect(lookupField(record, 'Fields.ts.keyword')).toBe(12467267);
  });
  it('EA2 test_looking_up_nested_composite_keys: literal dotted keys', () => {
    const record = { Fields: { 'ts.value': 12467267 } };
    expect(lookupField(record, 'Fields.ts.value')).toBe(12467267);
    expect(lookupField(record, 'Fields.ts.value.keyword')).toBe(12467267);
  });
  it('EA2: a real field named keyword wins over the suffix', () => {
    expect(lookupField({ Fields: { ts: { value: { keyword: 7 } } } }, 'Fields.ts.value.keyword')).toBe(7);
  });
  it('EA2 test_looking_up_arrays', () => {
    const record = {
      flags: [1, 2, 3],
      objects: [{ foo: 'bar' }, { foo: [{ bar: 'baz' }] }, { foo: { bar: 'baz' } }],
      nested: { foo: ['bar', 'baz'] },
    };
    const cases: [string, unknown][] = [
      ['flags[0]', 1],
      ['flags[1]', 2],
      ['objects[0]foo', 'bar'],
      ['objects[0]foo.keyword', 'bar'],
      ['objects[1]foo[0]bar', 'baz'],
      ['objects[2]foo.bar', 'baz'],
      ['objects[2]foo.bar.keyword', 'baz'],
      ['objects[1]foo[1]bar', undefined],
      ['objects[1]foo[1]bar.keyword', undefined],
      ['objects[1]foo[0]baz', undefined],
      ['objects[1]foo[0]baz.keyword', undefined],
      ['nested.foo[0]', 'bar'],
      ['nested.foo[1]', 'baz'],
    ];
    for (const [term, want] of cases) expect(lookupField(record, term), term).toEqual(want);
  });
  it('finds eventrouter fields and the literal @timestamp', () => {
    const doc = {
      '@timestamp': 'T',
      event: { involvedObject: { name: 'api-1', namespace: 'prod' } },
      'event.reason': 'flat',
    };
    expect(lookupField(doc, '@timestamp')).toBe('T');
    expect(lookupField(doc, 'event.involvedObject.name')).toBe('api-1');
    expect(lookupField(doc, 'event.reason')).toBe('flat');
  });
});

describe('Python string forms', () => {
  it.each([
    [null, 'None'],
    [true, 'True'],
    [false, 'False'],
    [3, '3'],
    [0.5, '0.5'],
    ['x', 'x'],
    [[1, 'a', null], "[1, 'a', None]"],
    [{ a: { b: true } }, "{'a': {'b': True}}"],
  ])('str(%j) = %s', (v, want) => {
    expect(pythonStr(v)).toBe(want);
  });
  it('repr quotes like Python', () => {
    expect(pythonRepr("it's")).toBe('"it\'s"');
    expect(pythonRepr('line\nbreak')).toBe("'line\\nbreak'");
  });
  it('keyOf makes lists and objects usable as keys (hashable)', () => {
    expect(keyOf(['qlo'])).toBe("['qlo']");
    expect(keyOf(undefined)).toBe('None');
    expect(keyOf('a')).toBe('a');
  });
});
