import { describe, expect, it } from 'vitest';
import { FormatError, pythonFormat } from '../../../src/format/python-format.ts';

describe("Python's str.format", () => {
  it.each([
    ['{} and {}', ['a', 1], {}, 'a and 1'],
    ['{0}{1}{0}', ['x', 'y'], {}, 'xyx'],
    ['{a}-{b}', [], { a: 1, b: true }, '1-True'],
    ['{:.2f}', [3.14159], {}, '3.14'],
    ['{:.2%}', [0.966666667], {}, '96.67%'],
    ['{:>8}|', ['ab'], {}, '      ab|'],
    ['{:<5}|', [1], {}, '1    |'],
    ['{:^7}|', ['mid'], {}, '  mid  |'],
    ['{:,}', [1234567], {}, '1,234,567'],
    ['{:08.3f}', [-3.5], {}, '-003.500'],
    ['{:.3g}', [1234.5], {}, '1.23e+03'],
    // exact binary ties round to even, as Python does
    ['{:.1f} {:.2f} {:.0f} {:.1e} {:.2g}', [2.25, 0.125, 2.5, 2.25, 0.125], {}, '2.2 0.12 2 2.2e+00 0.12'],
    ['{:.2g}', [9.96], {}, '10'],
    ['{:x}', [255], {}, 'ff'],
    ['{{literal}} {}', [null], {}, '{literal} None'],
    ['{0[a]} {0[b][0]}', [{ a: 1, b: [2] }], {}, '1 2'],
    ['{!r}', ['x'], {}, "'x'"],
    ['{}', [{ a: [1, null] }], {}, "{'a': [1, None]}"],
    ['{:10}|', [5], {}, '         5|'],
    ['{:.3}', ['abcdef'], {}, 'abc'],
    [
      'EventTime>>: {}\n Name>>: {}',
      ['2024-05-14T03:21:09.512Z', 'api-1'],
      {},
      'EventTime>>: 2024-05-14T03:21:09.512Z\n Name>>: api-1',
    ],
  ])('%s', (template, args, kwargs, want) => {
    expect(pythonFormat(template, args, kwargs)).toBe(want);
  });

  it.each([
    ['{} {}', ['only one']],
    ['{', []],
    ['}', []],
    ['{:d}', [1.5]],
    ['{missing}', []],
  ])('rejects %s', (template, args) => {
    expect(() => pythonFormat(template, args)).toThrow(FormatError);
  });
});
