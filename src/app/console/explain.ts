/**
 * The console's Explain panel: `esalert test-rule --explain` for a running rule over a chosen
 * window, as data. The same dry run (dry-run.ts): the rule's queries against its Elasticsearch,
 * silences read from the live writeback, nothing sent and nothing written. Each match's fate
 * and the exact texts that would have gone out are returned; secrets are masked by the API.
 */
import type { Logger } from 'pino';
import type { GlobalConfig } from '../../config/global-config.ts';
import { queryKeyValue } from '../../alerts/suppress.ts';
import type { MatchOutcome } from '../../engine/run-report.ts';
import type { RuntimeRule } from '../../engine/runtime-rule.ts';
import type { ExplainResponse, MatchFate } from '../../http/console/web/api-types.ts';
import type { Clock } from '../../model/clock.ts';
import { lookupField } from '../../model/lookup.ts';
import type { SearchPort } from '../../query/search-port.ts';
import type { WritebackStore } from '../../state/writeback.ts';
import { toIso } from '../../util/time.ts';
import { dryRun } from '../dry-run.ts';

/** Matches and alert texts returned at most (the counts say how many there were). */
export const EXPLAIN_MATCHES = 500;
export const EXPLAIN_ALERTS = 100;

export interface ExplainDeps {
  config: GlobalConfig;
  clock: Clock;
  logger: Logger;
  silences: Pick<WritebackStore, 'silence'>;
}

export function fateOf(m: MatchOutcome): MatchFate {
  switch (m.outcome) {
    case 'alerted':
      return {
        outcome: 'alerted',
        ...(m.silence ? { realertUntil: m.silence.until, realertKey: m.silence.key } : {}),
      };
    case 'aggregated':
      return { outcome: 'aggregated', alertTime: m.alertTime ?? '' };
    case 'already-alerted':
      return { outcome: 'already-alerted' };
    case 'silenced':
      return { outcome: 'silenced', key: m.key, until: m.until };
    case 'dropped':
      return { outcome: 'dropped', reason: m.reason };
  }
}

export async function explainRule(
  rt: RuntimeRule,
  port: SearchPort,
  window: { start: number; end: number },
  deps: ExplainDeps,
  signal: AbortSignal,
): Promise<ExplainResponse> {
  const t0 = performance.now();
  const { report, sent } = await dryRun(rt.rule, port, window, {
    config: deps.config,
    clock: deps.clock,
    logger: deps.logger,
    silences: deps.silences,
    run: { recordQueries: true, signal },
  });
  const ts = rt.rule.options.timestampField;
  return {
    rule: rt.rule.name,
    window: { start: toIso(window.start), end: toIso(window.end) },
    hits: report.hits,
    duplicates: report.duplicates,
    segments: report.segments.map((s) => ({
      start: s.start,
      end: s.end,
      index: s.index,
      query: s.query,
      hits: s.hits,
      duplicates: s.duplicates,
      pages: s.pages,
      truncated: s.truncated,
    })),
    matchCount: report.matches.length,
    matches: report.matches.slice(0, EXPLAIN_MATCHES).map((m) => {
      const at = lookupField(m.match, ts);
      return {
        ...fateOf(m),
        at: at === undefined ? null : String(at),
        queryKey: queryKeyValue(rt, m.match) ?? null,
      };
    }),
    alerts: sent.slice(0, EXPLAIN_ALERTS).map((a) => ({ title: a.title, text: a.body })),
    alertCount: sent.length,
    ...(report.error ? { error: report.error.message } : {}),
    tookMs: Math.round(performance.now() - t0),
  };
}
