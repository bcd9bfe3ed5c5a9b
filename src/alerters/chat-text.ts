/**
 * Text pieces several chat alerters build the same way as ElastAlert 2: the body made of each
 * match's text only (no summary table), cropping by characters with a note, and the Kibana /
 * OpenSearch Discover links a match carries.
 */
import type { Match } from '../model/match.ts';
import { lookupField } from '../model/lookup.ts';
import type { AlertContent } from './alerter.ts';

const SEPARATOR = '\n----------------------------------------\n';

/** Each match's text, followed by a dashed line when there are several (Discord, Telegram, Opsgenie...). */
export function matchTextsBody(content: Pick<AlertContent, 'matchTexts'>): string {
  const several = content.matchTexts.length > 1;
  return content.matchTexts.map((t) => (several ? t + SEPARATOR : t)).join('');
}

/**
 * ElastAlert 2's cropping: a text longer than `limit` characters (code points, as Python counts)
 * is cut to its first `keep` characters and `note` is appended.
 */
export function cropChars(text: string, limit: number, keep: number, note: string): string {
  // cheap test first: UTF-16 length is at least the code point count
  if (text.length <= limit) return text;
  const chars = Array.from(text);
  return chars.length > limit ? chars.slice(0, keep).join('') + note : text;
}

export type DiscoverApp = 'kibana' | 'opensearch';

/** The Discover link the pipeline put into the first match (generate_kibana_discover_url...). */
export function discoverUrl(matches: readonly Match[], app: DiscoverApp): string | undefined {
  const v = matches[0] ? lookupField(matches[0], `${app}_discover_url`) : undefined;
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export interface LinkAttachmentOptions {
  attach: boolean;
  color: string;
  title: string;
}

/** Slack-style attachments ({color, title, title_link}) for the Discover links that are asked for and present. */
export function discoverAttachments(
  matches: readonly Match[],
  links: Partial<Record<DiscoverApp, LinkAttachmentOptions>>,
): { color: string; title: string; title_link: string }[] {
  const out: { color: string; title: string; title_link: string }[] = [];
  for (const app of ['kibana', 'opensearch'] as const) {
    const o = links[app];
    const url = o?.attach ? discoverUrl(matches, app) : undefined;
    if (o && url) out.push({ color: o.color, title: o.title, title_link: url });
  }
  return out;
}
