/**
 * The job of one rule, as the scheduler runs it (Prometheus keeps Group.run beside its manager):
 * where each run ends (now minus query_delay, or --end), limit_execution (run only around the
 * cron's times), a backfill's end (done once the window reached --end) and giving up after five
 * failed runs of a backfill. The run itself is the engine's.
 */
import type { Logger } from 'pino';
import { type EngineDeps, runRule } from '../engine/run-rule.ts';
import type { RuntimeRule } from '../engine/runtime-rule.ts';
import type { Clock } from '../model/clock.ts';
import { parseTimestamp } from '../util/time.ts';
import type { Job } from './scheduler.ts';
import type { RunReport } from '../engine/run-report.ts';

/** Failed runs of a backfill after which a rule is given up. */
export const BACKFILL_FAILURES = 5;

export interface BackfillProgress {
  segment(rule: string, p: { segmentsDone: number; segmentsTotal: number; hits: number }): void;
  ruleRun(rule: string, matches: number): void;
}

export interface RuleJobDeps {
  clock: Clock;
  /** What a run needs (its logger is the rule's). */
  engine: EngineDeps;
  /** --end: every run ends here, and the job is done once a run reached it. */
  endAt: number | undefined;
  /** Progress of a backfill, for a terminal. */
  progress?: BackfillProgress;
  /** A run finished (not skipped): for metrics and /api/rules. */
  onRun?: (rule: string, report: RunReport, startedAt: number, durationMs: number) => void;
}

export function createRuleJob(rt: RuntimeRule, deps: RuleJobDeps): Job {
  const { clock, endAt } = deps;
  const log: Logger = deps.engine.logger;
  let failures = 0;
  let finished = false;
  return {
    name: rt.rule.name,
    intervalMs: rt.rule.options.runEveryMs,
    done: () => finished,
    nextAllowed: () => rt.state.nextRunAt,
    run: async (signal) => {
      const o = rt.rule.options;
      const end = endAt ?? clock.now() - o.queryDelayMs;
      if (o.limitExecution && endAt === undefined) {
        // ElastAlert 2's limit_execution: run only around the cron's times, pausing in between.
        const next = o.limitExecution.next(clock.now(), o.timezone);
        rt.state.nextRunAt = undefined;
        if (end + o.runEveryMs < next - 59_000) {
          rt.state.nextRunAt = next;
          if (o.limitExecutionCoverage) {
            rt.state.minimumStarttime = next;
            rt.state.previousEndtime = next;
          }
          if (!rt.state.hasRunOnce) return;
        }
      }
      rt.state.hasRunOnce = true;
      const start = rt.state.initialStarttime;
      rt.state.initialStarttime = undefined;
      const progress = endAt !== undefined ? deps.progress : undefined;
      const began = clock.now();
      const t0 = performance.now();
      const report = await runRule(rt, end, deps.engine, {
        signal,
        slimReport: true,
        ...(start !== undefined ? { start } : {}),
        ...(progress ? { onProgress: (p) => progress.segment(rt.rule.name, p) } : {}),
      });
      progress?.ruleRun(rt.rule.name, report.tally.matches);
      if (!report.skipped) deps.onRun?.(rt.rule.name, report, began, performance.now() - t0);
      if (!report.skipped) {
        log.info(
          {
            from: report.start,
            to: report.end,
            hits: report.hits,
            duplicates: report.duplicates,
            matches: report.tally.matches,
            alerted: report.tally.outcomes.alerted,
          },
          `Ran ${rt.rule.name} from ${report.start} to ${report.end}: ${report.hits} query hits (${report.duplicates} already seen), ${report.tally.matches} matches`,
        );
      }
      if (endAt !== undefined) {
        failures = report.error ? failures + 1 : 0;
        const reached =
          report.completedTo !== undefined && (parseTimestamp(report.completedTo) ?? 0) >= endAt;
        if (reached && clock.now() + o.runEveryMs > endAt) finished = true;
        if (failures >= BACKFILL_FAILURES) {
          log.error(`giving up on this rule after ${BACKFILL_FAILURES} failed runs`);
          finished = true;
        }
      }
    },
  };
}
