/** What one run of a rule reports: its window, each queried segment, and what became of each match. */
import type { EsalertError } from '../errors/esalert-error.ts';
import type { Match } from '../model/match.ts';
import type { EsQuery } from '../query/filters.ts';

export interface SegmentReport {
  start: string;
  end: string;
  index: string;
  query: EsQuery;
  hits: number;
  duplicates: number;
  pages: number;
  truncated: boolean;
}

/** What became of a match: alerted, aggregated, alerted before, dropped by an enhancement, or silenced. */
export type MatchOutcome =
  | {
      match: Match;
      outcome: 'alerted' | 'aggregated' | 'already-alerted';
      /** aggregated: when the aggregate is sent */
      alertTime?: string;
      silence?: { key: string; until: string };
    }
  | { match: Match; outcome: 'dropped'; reason: string }
  | { match: Match; outcome: 'silenced'; key: string; until: string };

export interface MatchTally {
  matches: number;
  outcomes: Record<MatchOutcome['outcome'], number>;
  /** Alerted matches that set a realert silence, by silence key. */
  realertKeys: Map<string, number>;
}

export interface RunReport {
  rule: string;
  start: string;
  end: string;
  skipped?: string;
  segments: SegmentReport[];
  hits: number;
  duplicates: number;
  /** Each match and what became of it; empty with RunOptions.slimReport (see `tally`). */
  matches: MatchOutcome[];
  /** The matches counted by outcome, always. */
  tally: MatchTally;
  error?: EsalertError;
  /** End of the last segment that completed (the resume point). */
  completedTo: string | undefined;
  timeTakenMs: number;
}

export function emptyTally(): MatchTally {
  return {
    matches: 0,
    outcomes: { alerted: 0, aggregated: 0, 'already-alerted': 0, dropped: 0, silenced: 0 },
    realertKeys: new Map(),
  };
}

/** Counts a match's outcome, and keeps the match unless the report is slim. */
export function noteOutcome(report: RunReport, m: MatchOutcome, slim: boolean): void {
  const t = report.tally;
  t.matches++;
  t.outcomes[m.outcome]++;
  if (m.outcome === 'alerted' && m.silence)
    t.realertKeys.set(m.silence.key, (t.realertKeys.get(m.silence.key) ?? 0) + 1);
  if (!slim) report.matches.push(m);
}
