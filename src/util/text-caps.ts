/**
 * Caps on untrusted text in alerts: an event message can be any size (probe output, a stack
 * trace), and an alert that repeats 300 KB of it helps nobody. Text over a cap is cut at a
 * character (code point) boundary and ends with a marker that says how much was left out.
 */

/** One field of a match in an alert body (`key: value`), one value of alert_text_args / alert_text_kw. */
export const MAX_FIELD_CHARS = 10_000;
/** One cell of an aggregation summary table. */
export const MAX_CELL_CHARS = 2_000;

/** `text` itself when it has at most `max` characters; else its first `max` and a marker. */
export function capText(text: string, max: number): string {
  if (text.length <= max) return text; // UTF-16 units are never fewer than code points
  let kept = 0;
  let end = 0;
  for (const ch of text) {
    if (kept === max) break;
    kept++;
    end += ch.length;
  }
  if (end === text.length) return text;
  let rest = 0;
  for (const _ of text.slice(end)) rest++;
  return `${text.slice(0, end)}…(truncated, ${rest} more characters)`;
}
