/**
 * related_logs in an alert body: the container's last lines as a code block under a heading,
 * or the one line saying none were found. Fences inside the lines are broken up so that log
 * text cannot end the block early; trimToFit drops the oldest lines until a body fits a
 * channel's limit.
 */
import type { Match } from '../model/match.ts';
import { RELATED_LOGS_FIELD } from '../model/related-logs-settings.ts';

const FENCE = '```';

/** The match fields the block shows, left out of the field list. */
export const RELATED_LOGS_SHOWN_APART: ReadonlySet<string> = new Set([
  RELATED_LOGS_FIELD,
  'related_logs_source',
  'related_logs_count',
  'related_logs_cut',
]);

export function relatedLogsBlock(match: Match): string {
  const logs = match[RELATED_LOGS_FIELD];
  if (typeof logs !== 'string') return '';
  const count = Number(match.related_logs_count ?? 0);
  const source = typeof match.related_logs_source === 'string' ? match.related_logs_source : 'the container';
  if (count === 0) return `\n${logs}\n`;
  const safe = logs.replace(/`{3,}/g, (run) => run.split('').join('\u200b'));
  const cut = Number(match.related_logs_cut ?? 0);
  const note = cut > 0 ? ` (${cut} older line${cut === 1 ? '' : 's'} left out to fit the message)` : '';
  return `\nLast ${count - cut} log line${count - cut === 1 ? '' : 's'} of ${source}${note}:\n${FENCE}\n${safe}\n${FENCE}\n`;
}

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

/**
 * Matches whose related_logs lose their oldest lines so that `render(matches)` fits in
 * `limitBytes` (the channel's message limit); the matches given are not changed.
 */
export function trimRelatedLogsToFit(
  matches: Match[],
  limitBytes: number | undefined,
  render: (matches: Match[]) => string,
): Match[] {
  if (limitBytes === undefined) return matches;
  const body = render(matches);
  let excess = utf8(body) - limitBytes;
  if (excess <= 0) return matches;
  const out = matches.map((m) => ({ ...m }));
  for (const m of out) {
    const logs = m[RELATED_LOGS_FIELD];
    if (typeof logs !== 'string' || Number(m.related_logs_count ?? 0) === 0) continue;
    const lines = logs.split('\n');
    let cut = 0;
    // the note added costs some bytes too
    while (excess > -80 && cut < lines.length - 1) {
      excess -= utf8(lines[cut]!) + 1;
      cut++;
    }
    m[RELATED_LOGS_FIELD] = lines.slice(cut).join('\n');
    m.related_logs_cut = cut;
    if (excess <= -80) break;
  }
  return out;
}
