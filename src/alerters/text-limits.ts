/**
 * Size limits of chat channels, counted in UTF-8 bytes (WeCom text 2048, markdown 4096, DingTalk
 * about 15000): texts over the limit are cut at a character boundary and marked as truncated.
 */

export const TRUNCATION_MARKER = '…(truncated)';

const encoder = new TextEncoder();

export function utf8Bytes(text: string): number {
  return encoder.encode(text).length;
}

/**
 * The text itself when it fits in `maxBytes` UTF-8 bytes; otherwise its longest prefix that fits
 * together with the marker, followed by the marker. Characters (code points, including emoji
 * surrogate pairs) are never split.
 */
export function truncateUtf8(text: string, maxBytes: number, marker = TRUNCATION_MARKER): string {
  if (utf8Bytes(text) <= maxBytes) return text;
  const budget = maxBytes - utf8Bytes(marker);
  if (budget <= 0) return prefixWithin(marker, Math.max(0, maxBytes));
  return prefixWithin(text, budget) + marker;
}

/** The longest prefix of whole code points that fits in `budget` UTF-8 bytes. */
function prefixWithin(text: string, budget: number): string {
  let used = 0;
  let end = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (used + size > budget) break;
    used += size;
    end += ch.length;
  }
  return text.slice(0, end);
}
