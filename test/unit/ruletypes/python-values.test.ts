/**
 * Python semantics the rule types depend on: %-formatting and float printing for match texts
 * and *_format_string, truthiness, equality and dictionary keys. Expected values are what
 * CPython 3 prints.
 */
import { describe, expect, it } from 'vitest';
import {
  formatNumberString,
  percentFormat,
  pythonFloat,
  pythonRound,
} from '../../../src/format/percent-format.ts';
import { FormatError } from '../../../src/format/python-format.ts';
import {
  pyEqualityKey,
  pyEquals,
  pyFalsy,
  pyHashKey,
  pyTupleKey,
} from '../../../src/ruletypes/python-values.ts';

describe('Python number formatting', () => {
  it.each([
    [1, '1.0'],
    [0, '0.0'],
    [-0, '-0.0'],
    [9879, '9879.0'],
    [0.966666667, '0.966666667'],
    [76.15894039742994, '76.15894039742994'],
    [1e16, '1e+16'],
    [1.5e16, '1.5e+16'],
    [123456789012345.6, '123456789012345.6'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [1.234e-7, '1.234e-07'],
    [-2.5, '-2.5'],
    [Infinity, 'inf'],
    [NaN, 'nan'],
  ])('repr(%s) is %s', (n, text) => {
    expect(pythonFloat(n)).toBe(text);
  });

  it.each([
    ['%.2f', 0.966666667, '0.97'],
    ['%.2f', 76.15894039742994, '76.16'],
    ['%d', 0.97, '0'],
    ['%d%%', 42.9, '42%'],
    ['%5.1f|', 3.14159, '  3.1|'],
    ['%-6.1f|', 3.14159, '3.1   |'],
    ['%06.2f', -1.5, '-01.50'],
    ['%+.1f', 2, '+2.0'],
    ['%e', 12345.678, '1.234568e+04'],
    ['%g', 0.00001234, '1.234e-05'],
    ['%g', 123456789, '1.23457e+08'],
    ['%g', 100, '100'],
    ['%s', 0.5, '0.5'],
    ['%s', 'x', 'x'],
    ['%r', 'x', "'x'"],
    ['%x', 255, 'ff'],
    ['value: %.1f ms', 12.34, 'value: 12.3 ms'],
  ])("'%s' %% %s is '%s'", (format, value, text) => {
    expect(percentFormat(format, value)).toBe(text);
  });

  it('raises what Python raises', () => {
    expect(() => percentFormat('%d %d', 1)).toThrow(FormatError);
    expect(() => percentFormat('no placeholder', 1)).toThrow(/not all arguments converted/);
    expect(() => percentFormat('%y', 1)).toThrow(/unsupported format character 'y'/);
    expect(() => percentFormat('50%', 1)).toThrow(/incomplete format/);
    expect(() => percentFormat('%(name)s', 1)).toThrow(/mapping/);
    expect(() => percentFormat('%d', 'text')).toThrow(/real number/);
  });

  it("format_string picks str.format for '{...}' and % otherwise (EA2 test_metric_aggregation)", () => {
    expect(formatNumberString('{:.2%}', 0.966666667)).toBe('96.67%');
    expect(formatNumberString('%.2f', 0.966666667)).toBe('0.97');
    expect(formatNumberString('{:.2f}', 1000.9133333)).toBe('1000.91');
    expect(formatNumberString('{:.2f}', 0.89999)).toBe('0.90');
  });

  it('round(x, 2) rounds exact ties to even, everything else correctly', () => {
    expect(pythonRound(0.125, 2)).toBe(0.12);
    expect(pythonRound(0.375, 2)).toBe(0.38);
    expect(pythonRound(-0.125, 2)).toBe(-0.12);
    expect(pythonRound(2.675, 2)).toBe(2.67); // 2.67499999... in binary
    expect(pythonRound(1.005, 2)).toBe(1); // 1.00499999...
    expect(pythonRound(2 / 3, 2)).toBe(0.67);
    expect(pythonRound(9879, 2)).toBe(9879);
  });
});

describe('Python value semantics', () => {
  it('truthiness: None, False, 0, "", [] and {} are falsy', () => {
    for (const v of [undefined, null, false, 0, -0, '', [], {}])
      expect(pyFalsy(v), JSON.stringify(v)).toBe(true);
    for (const v of [true, 1, -1, NaN, 'a', ' ', [0], { a: null }]) expect(pyFalsy(v), String(v)).toBe(false);
  });

  it('equality: 1 == 1.0 == True, None == None, lists and dicts element-wise, "1" != 1', () => {
    expect(pyEquals(1, true)).toBe(true);
    expect(pyEquals(0, false)).toBe(true);
    expect(pyEquals(undefined, null)).toBe(true);
    expect(pyEquals('1', 1)).toBe(false);
    expect(pyEquals(null, 0)).toBe(false);
    expect(pyEquals([1, { a: 'x' }], [true, { a: 'x' }])).toBe(true);
    expect(pyEquals({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(true);
    expect(pyEquals([1], [1, 2])).toBe(false);
    expect(pyEquals(['a'], "['a']")).toBe(false);
  });

  it('list membership keys follow equality; dictionary keys follow hashable()', () => {
    expect(pyEqualityKey(1)).toBe(pyEqualityKey(true));
    expect(pyEqualityKey(1)).not.toBe(pyEqualityKey('1'));
    expect(pyEqualityKey(['a'])).not.toBe(pyEqualityKey("['a']"));
    expect(pyEqualityKey({ b: 1, a: 2 })).toBe(pyEqualityKey({ a: 2, b: 1 }));
    expect(pyTupleKey(['a', 1])).toBe(pyTupleKey(['a', true]));
    expect(pyTupleKey(['a', 'b'])).not.toBe(pyEqualityKey(['a', 'b']));
    expect(pyHashKey(['a'])).toBe(pyHashKey("['a']"));
    expect(pyHashKey(1)).toBe(pyHashKey(1.0));
  });
});
