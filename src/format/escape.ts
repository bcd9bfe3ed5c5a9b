/**
 * Event text in rich formats. Whoever can create a pod writes event messages, pod names and probe
 * output; in a markdown or HTML alert that text must stay text: no links or images of its own
 * choosing, no HTML, no @mentions, no headings or code blocks swallowing the rest of the message.
 *
 * An alerter says how its channel renders the body (Alerter.textFormat); the alert text is then
 * built with event values escaped for that format, and the rule's own text (alert_text, the
 * template) left as written. A rule turns this off with `escape_event_text: false`.
 *
 * Markdown: chat robots (DingTalk, WeCom) implement small markdown dialects that do not all honour
 * backslash escapes, so the syntax is broken up with a zero-width space (U+200B) instead, which
 * every renderer shows as nothing: `](` of links and images, `![`, `<` of HTML tags and WeCom's
 * `<@userid>` mentions, code fences, and block markers (`#`, `>`, list bullets, tables) at the
 * start of a line. The text reads the same; pod names (letters, digits, `-`, `.`) are untouched.
 *
 * HTML: the five characters of Python's html.escape (as ElastAlert 2's summary tables use).
 */

export type TextFormat = 'plain' | 'markdown' | 'html';

const ZWSP = '\u200b';

/** Python's html.escape: & < > " ' */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#x27;');
}

/** A line start that markdown reads as a block: heading, quote, list, table, rule, fence. */
const BLOCK_START = /^([ \t]*)(#|>|[-+*](?=[ \t]|$)|\d+[.)](?=[ \t]|$)|\||=+[ \t]*$|-{3,}|`{3}|~{3})/gm;

/** Event text that renders as itself in chat-robot markdown (see above). Linear in the text. */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/\]\s*[([:]/g, (m) => `]${ZWSP}${m.slice(1)}`) // [text](url), [text][ref], [ref]: url
    .replace(/!\[/g, `!${ZWSP}[`) // images
    .replace(/</g, `<${ZWSP}`) // HTML tags, <http://autolinks>, WeCom <@userid> mentions
    .replace(/`{3,}|~{3,}/g, (m) => m.split('').join(ZWSP)) // code fences inside a line
    .replace(BLOCK_START, (_, indent: string, marker: string) => `${indent}${ZWSP}${marker}`);
}

/** The escaping for a format ('plain' changes nothing). */
export function escaperFor(format: TextFormat): (text: string) => string {
  switch (format) {
    case 'plain':
      return (text) => text;
    case 'markdown':
      return escapeMarkdown;
    case 'html':
      return escapeHtml;
  }
}
