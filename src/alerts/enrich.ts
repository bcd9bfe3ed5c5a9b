/**
 * What ElastAlert 2 adds to a match that passed silence and realert, before it is alerted or
 * aggregated: top_count_keys, the Discover links (kibana_discover_url, opensearch_discover_url),
 * include_rule_params_in_matches, then the match_enhancements in order.
 *
 * Failure policy: nothing here stops a match. A top_count_keys query that fails gives that key
 * {} and is logged; an enhancement that throws is logged and skipped, as ElastAlert 2 does with
 * EAException. Only an enhancement returning null drops the match.
 */
import type { Logger } from 'pino';
import type { RuntimeRule } from '../engine/runtime-rule.ts';
import { discoverUrls } from '../engine/discover-url.ts';
import { attachRelatedLogs } from './attach-related-logs.ts';
import { topCountOptions, topCounts } from './top-counts.ts';
import { errorMessage } from '../errors/esalert-error.ts';
import { lookupField } from '../model/lookup.ts';
import type { Match } from '../model/match.ts';
import type { SearchPort } from '../query/search-port.ts';

export interface EnrichRun {
  /** The search port of the run (top counts query the same backend). */
  search: SearchPort;
  logger: Logger;
  /** The next match is the run's first (include_rule_params_in_first_match_only). */
  first: boolean;
}

/** The enriched match, or undefined when an enhancement dropped it. */
export async function enrich(rt: RuntimeRule, match: Match, run: EnrichRun): Promise<Match | undefined> {
  const first = run.first;
  run.first = false;
  const top = topCountOptions(rt);
  if (top) {
    const qk = rt.rule.options.queryKey ? lookupField(match, rt.rule.options.queryKey) : undefined;
    Object.assign(
      match,
      await topCounts(run.search, top, match, qk, (key, err) =>
        run.logger.error({ rule: rt.rule.name, key, err: errorMessage(err) }, 'top_count_keys query failed'),
      ),
    );
  }
  const discover = rt.rule.discover;
  const matchTime = discover ? rt.codec.read(lookupField(match, rt.rule.options.timestampField)) : undefined;
  if (discover && matchTime === undefined) {
    run.logger.warn(
      { rule: rt.rule.name, field: rt.rule.options.timestampField },
      'the match has no readable timestamp: no Discover link',
    );
  } else if (discover && matchTime !== undefined) {
    const o = rt.rule.options;
    Object.assign(
      match,
      discoverUrls(
        discover,
        {
          filters: o.filters,
          queryKeys: o.compoundQueryKey ?? (o.queryKey ? [o.queryKey] : []),
          timeframeMs: o.timeframeMs,
          matchTime,
        },
        match,
      ),
    );
  }
  await attachRelatedLogs(
    rt,
    match,
    run,
    matchTime ?? rt.codec.read(lookupField(match, rt.rule.options.timestampField)),
  );
  const params = rt.rule.options.ruleParams;
  if (params && (first || !params.firstMatchOnly)) Object.assign(match, params.values);
  let current: Match = match;
  for (const e of rt.rule.enhancements) {
    try {
      const next = await e.process(current, rt.rule.enhancementContext);
      if (next === null) return undefined;
      if (next !== undefined) current = next;
    } catch (err) {
      run.logger.error(
        { enhancement: e.name, err: errorMessage(err) },
        'match enhancement failed; the match is kept as it was',
      );
    }
  }
  return current;
}
