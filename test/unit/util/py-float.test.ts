import { describe, expect, it } from 'vitest';
import { pyExponential, pyFixed } from '../../../src/util/py-float.ts';

// expected strings from Python 3: '{:.{d}f}'.format(x) and '{:.{d}e}'.format(x)
const CASES: [number, number, string, string][] = [
  [2.25, 1, '2.2', '2.2e+00'],
  [0.125, 2, '0.12', '1.25e-01'],
  [2.5, 0, '2', '2e+00'],
  [0.5, 0, '0', '5e-01'],
  [1.5, 0, '2', '2e+00'],
  [3.14159, 3, '3.142', '3.142e+00'],
  [1.005, 2, '1.00', '1.00e+00'],
  [0.375, 2, '0.38', '3.75e-01'],
  [12345.5, 0, '12346', '1e+04'],
  [2.675, 2, '2.67', '2.67e+00'],
  [0, 2, '0.00', '0.00e+00'],
  [0.000125, 2, '0.00', '1.25e-04'],
  [0.00125, 1, '0.0', '1.3e-03'], // not a tie: 0.00125 is stored a little above
  [76.15894039742994, 2, '76.16', '7.62e+01'],
];

describe('Python float notation', () => {
  it.each(CASES)('%s with %s digits', (x, d, fixed, exp) => {
    expect(pyFixed(x, d)).toBe(fixed);
    expect(pyExponential(x, d)).toBe(exp);
  });
});
