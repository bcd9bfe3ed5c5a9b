/** Alert contents built the way the pipeline builds them, and a logger whose output tests can read. */
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { AlertContent, AlerterDeps } from '../../../../src/alerters/alerter.ts';
import { alertBody, alertTitle, matchString } from '../../../../src/format/alert-text.ts';
import type { Match } from '../../../../src/model/match.ts';
import type { Doc } from '../../../../src/model/lookup.ts';

/** title/body/matchTexts as ElastAlert 2 formats them for an `any` rule (no rule-type paragraph). */
export function alertContent(
  options: Doc,
  matches: Match[],
  matchText: (m: Match) => string = () => '',
): AlertContent {
  const src = { raw: options, name: String(options.name ?? 'Test Rule'), matchText };
  return {
    ruleName: src.name,
    options,
    matches,
    title: alertTitle(src, matches),
    body: alertBody(src, matches),
    matchTexts: matches.map((m) => matchString(src, m)),
  };
}

export interface CapturedLog {
  logger: Logger;
  /** Everything logged so far, one JSON line each. */
  text(): string;
  lines(): Doc[];
}

export function captureLog(): CapturedLog {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString('utf8'));
      cb();
    },
  });
  const logger = pino({ level: 'debug' }, stream);
  return {
    logger,
    text: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Doc),
  };
}

export const deps = (log: CapturedLog, ruleDir = '/tmp'): AlerterDeps => ({ logger: log.logger, ruleDir });

export const signal = () => new AbortController().signal;
