/**
 * Fixed and exponential notation as Python formats floats ('%.2f', '{:.1e}', round()): the exact
 * binary value correctly rounded, exact ties to even. JavaScript's toFixed/toExponential are
 * correct except on exact ties, which they break upwards (2.25 -> "2.3" where Python gives "2.2").
 */

/** Every decimal digit of a finite non-negative double below 1e21, to 100 places (exact for the values alerts carry). */
function exactDigits(a: number): { int: string; frac: string } {
  const s = a.toFixed(100);
  const dot = s.indexOf('.');
  return { int: s.slice(0, dot), frac: s.slice(dot + 1) };
}

/** Python's fixed notation of a finite non-negative number with `digits` decimals. */
export function pyFixed(a: number, digits: number): string {
  const plain = a.toFixed(digits);
  if (a >= 1e21 || digits > 99) return plain;
  const { int, frac } = exactDigits(a);
  if (!/^50*$/.test(frac.slice(digits))) return plain;
  const kept = int + frac.slice(0, digits);
  // an exact tie: keep it when the last kept digit is even; toFixed already rounded odd ones up
  return Number(kept[kept.length - 1]) % 2 === 0 ? (digits ? `${int}.${frac.slice(0, digits)}` : int) : plain;
}

/** Python's exponential notation (`1.25e-01`: at least two exponent digits) of a finite non-negative number. */
export function pyExponential(a: number, digits: number): string {
  const py = (t: string) => t.replace(/e([+-])(\d)$/, 'e$10$2');
  const plain = a.toExponential(digits);
  if (a === 0 || a >= 1e21 || digits > 99) return py(plain);
  const { int, frac } = exactDigits(a);
  const all = (int === '0' ? '' : int) + frac;
  const lead = all.search(/[1-9]/);
  const significant = all.slice(lead);
  if (!/^50*$/.test(significant.slice(digits + 1))) return py(plain);
  const kept = significant.slice(0, digits + 1);
  if (Number(kept[kept.length - 1]) % 2 !== 0) return py(plain);
  const e = int === '0' ? -(lead + 1) : int.length - 1;
  const mantissa = digits ? `${kept[0]}.${kept.slice(1)}` : kept;
  return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

/** Python's general notation ('%g', '{:.3g}') of a finite non-negative number; `alt` keeps trailing zeros. */
export function pyGeneral(a: number, precision: number, alt = false): string {
  const p = Math.max(1, precision);
  const e = pyExponential(a, p - 1);
  const exp = Number(e.slice(e.indexOf('e') + 1));
  const body = exp < -4 || exp >= p ? e : pyFixed(a, Math.max(p - 1 - exp, 0));
  return alt ? body : body.replace(/(\.\d*?)0+(?=$|e)/, '$1').replace(/\.(?=$|e)/, '');
}
