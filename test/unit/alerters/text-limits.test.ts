/** UTF-8 byte limits: truncation fits the limit, never splits a character, and says it truncated. */
import { describe, expect, it } from 'vitest';
import { TRUNCATION_MARKER, truncateUtf8, utf8Bytes } from '../../../src/alerters/text-limits.ts';

describe('truncateUtf8', () => {
  it('leaves a text within the limit alone', () => {
    expect(truncateUtf8('告警', 6)).toBe('告警');
    expect(truncateUtf8('', 0)).toBe('');
  });

  it.each([
    ['ASCII', 'a'.repeat(100), 50],
    ['Chinese (3 bytes each)', '节点内存不足'.repeat(100), 100],
    ['emoji (4 bytes, surrogate pairs)', '😀🚨'.repeat(100), 101],
    ['mixed', 'Pod 重启 😀 x'.repeat(50), 77],
  ])('%s: within the limit, whole characters, marked', (_name, text, limit) => {
    const out = truncateUtf8(text, limit);
    expect(utf8Bytes(out)).toBeLessThanOrEqual(limit);
    expect(utf8Bytes(out)).toBeGreaterThan(limit - 4);
    expect(out.endsWith(TRUNCATION_MARKER)).toBe(true);
    const kept = out.slice(0, -TRUNCATION_MARKER.length);
    expect(text.startsWith(kept)).toBe(true);
    expect(Buffer.from(out, 'utf8').toString('utf8')).toBe(out);
    expect(out).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
  });

  it('a limit smaller than the marker still holds', () => {
    expect(utf8Bytes(truncateUtf8('x'.repeat(50), 5))).toBeLessThanOrEqual(5);
  });
});
