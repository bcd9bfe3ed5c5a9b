/**
 * The console's port (http/console/console-source.ts) over a running esalert: its rules, what
 * the observability saw of their runs, the writeback stores and the search ports. This is the
 * one place that knows how the app is put together; the API and the pages only know the port.
 */
import type { Logger } from 'pino';
import type { GlobalConfig } from '../../config/global-config.ts';
import type { RuntimeRule } from '../../engine/runtime-rule.ts';
import { errorMessage, isEsalertError } from '../../errors/esalert-error.ts';
import { createJinjaRenderer } from '../../format/jinja.ts';
import { ConsoleRequestError, type ConsoleSource } from '../../http/console/console-source.ts';
import type { RunEntry, SilenceBrief } from '../../http/console/web/api-types.ts';
import type { Observability } from '../../http/observability.ts';
import type { Clock } from '../../model/clock.ts';
import type { SearchPort } from '../../query/search-port.ts';
import type { HistoryReader, StoredSilence } from '../../state/history.ts';
import type { SilenceStore } from '../../state/writeback.ts';
import { parseTimestamp, toIso } from '../../util/time.ts';
import type { SecretRegistry } from '../logger.ts';
import { parseSilenceDuration, silenceKeyFor } from '../silence.ts';
import { alertEntry, listAlerts } from './alert-entries.ts';
import { explainRule } from './explain.ts';
import { k8sTimeline, k8sWorkloads } from './k8s-timeline.ts';
import { loadError, ruleDetail, ruleRow } from './rule-rows.ts';
import { silenceKeys, silenceKind, silenceRow } from './silence-rows.ts';

/** Longest silence the console sets. */
const MAX_SILENCE_MS = 365 * 86_400_000;
/** How long the rules list reuses the silences in force it read. */
const SILENCES_FRESH_MS = 5000;

/** What the console reads from the running app (app.ts's App has all of it). */
export interface ConsoleAppView {
  config: GlobalConfig;
  rules: ReadonlyMap<string, RuntimeRule>;
  history: HistoryReader;
  /** Silences as runs see them (for Explain). */
  silences: Pick<SilenceStore, 'silence'>;
  manualSilences: Pick<SilenceStore, 'writeSilence' | 'deleteSilence' | 'listSilences'>;
  searchPort(rule?: string): SearchPort | undefined;
  readOnlyReason: string | undefined;
  forgetSilence(key: string): void;
}

export interface ConsoleSourceDeps {
  observability: Observability;
  clock: Clock;
  logger: Logger;
  secrets: SecretRegistry;
}

/** Errors of the layers below, as answers: the user's fault is a 400, Elasticsearch's a 503. */
async function answer<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ConsoleRequestError) throw err;
    if (isEsalertError(err)) throw new ConsoleRequestError(err.fault === 'user' ? 400 : 503, err.message);
    throw err;
  }
}

export function createConsoleSource(app: ConsoleAppView, deps: ConsoleSourceDeps): ConsoleSource {
  const { observability: obs, clock, logger } = deps;
  const renderJinja = createJinjaRenderer();
  const entryDeps = { rules: () => app.rules, history: app.history, renderJinja };
  const ruleOf = (name: string) => app.rules.get(name);
  const mainPort = () => {
    const port = app.searchPort();
    if (!port) throw new ConsoleRequestError(503, 'not connected to Elasticsearch yet');
    return port;
  };

  /**
   * The silences in force, read at most every SILENCES_FRESH_MS (the rules list of a big
   * installation is asked for often; a silence set or lifted here is seen at once).
   */
  let inForce: { at: number; list: Promise<StoredSilence[]> } | undefined;
  const silencesInForce = (): Promise<StoredSilence[]> => {
    const now = clock.now();
    if (!inForce || now - inForce.at > SILENCES_FRESH_MS) {
      // shared by the requests of the next seconds: not stopped when the first one goes away
      const list = app.history.silences(now, AbortSignal.timeout(30_000));
      inForce = { at: now, list };
      list.catch(() => (inForce = undefined));
    }
    return inForce.list;
  };

  /** Silences in force, by rule. */
  const activeSilences = async (): Promise<Map<string, SilenceBrief[]>> => {
    const byRule = new Map<string, SilenceBrief[]>();
    let list;
    try {
      list = await silencesInForce();
    } catch (err) {
      logger.warn({ err: errorMessage(err) }, 'console: cannot read the silences');
      return byRule;
    }
    const keys = silenceKeys([...app.rules.values()].map((rt) => rt.rule));
    for (const s of list)
      for (const t of keys.resolve(s.key)) {
        const brief: SilenceBrief = {
          id: s.id,
          key: s.key,
          until: s.until,
          ...(t.queryKey !== undefined ? { queryKey: t.queryKey } : {}),
          kind: silenceKind(s),
        };
        const l = byRule.get(t.rule);
        if (l) l.push(brief);
        else byRule.set(t.rule, [brief]);
      }
    return byRule;
  };

  return {
    settings: () => ({
      timezone: app.config.console.timezone,
      k8sIndex: app.config.console.k8sIndex,
      ...(app.readOnlyReason ? { readOnlyReason: app.readOnlyReason } : {}),
    }),

    secrets: () => deps.secrets.list(),

    rules: () =>
      answer(async () => {
        const silences = await activeSilences();
        const rows = [...app.rules.values()]
          .map((rt) => ruleRow(rt, obs.status(rt.rule.name), silences.get(rt.rule.name) ?? []))
          .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        const snapshot = obs.snapshot();
        return {
          rules: rows,
          loadErrors: snapshot.loadErrors.map(loadError),
          generatedAt: toIso(clock.now()),
          ...(snapshot.replicas ? { replicas: snapshot.replicas } : {}),
        };
      }),

    rule: (name) =>
      answer(async () => {
        const rt = ruleOf(name);
        if (!rt) return undefined;
        const silences = (await activeSilences()).get(name) ?? [];
        const status = obs.status(name);
        return ruleDetail(ruleRow(rt, status, silences), rt, deps.secrets.list(), status?.warnings);
      }),

    runs: (name, limit, signal) =>
      answer(async () => {
        if (!ruleOf(name)) return undefined;
        const live: RunEntry[] = obs.recentRuns(name).map((r) => ({
          startedAt: r.startedAt,
          durationMs: r.durationMs,
          window: r.window,
          hits: r.hits,
          matches: r.matches,
          alerted: r.alerted,
          suppressed: r.suppressed,
          ...(r.error ? { error: r.error } : {}),
          source: 'live',
        }));
        const windowKey = (w: { start: string; end: string }) =>
          `${parseTimestamp(w.start)}/${parseTimestamp(w.end)}`;
        const seen = new Set(live.map((r) => windowKey(r.window)));
        const stored = await app.history.statuses(name, limit, signal).catch((err: unknown) => {
          logger.warn({ err: errorMessage(err) }, 'console: cannot read run statuses');
          return [];
        });
        const older: RunEntry[] = stored
          .filter((s) => !seen.has(windowKey({ start: s.starttime, end: s.endtime })))
          .map((s) => {
            const ms = Math.round((s.time_taken ?? 0) * 1000);
            return {
              startedAt: toIso((parseTimestamp(s['@timestamp']) ?? 0) - ms),
              durationMs: ms,
              window: { start: s.starttime, end: s.endtime },
              hits: s.hits,
              matches: s.matches,
              alerted: null,
              suppressed: null,
              source: 'writeback',
            };
          });
        return [...live, ...older]
          .sort((a, b) => (parseTimestamp(b.startedAt) ?? 0) - (parseTimestamp(a.startedAt) ?? 0))
          .slice(0, limit);
      }),

    alerts: (filter, signal) => answer(() => listAlerts(filter, entryDeps, signal)),

    silences: (o, signal) =>
      answer(async () => {
        const now = clock.now();
        const keys = silenceKeys([...app.rules.values()].map((rt) => rt.rule));
        const list = await app.history.silences(o.all ? undefined : now, signal);
        const rows = list.flatMap((s) => {
          const targets = keys.resolve(s.key);
          const mine = o.rule === undefined ? targets : targets.filter((t) => t.rule === o.rule);
          if (o.rule !== undefined && mine.length === 0) return [];
          return [silenceRow(s, mine[0], now)];
        });
        return { silences: rows };
      }),

    setSilence: (s, signal) =>
      answer(async () => {
        const rt = ruleOf(s.rule);
        if (!rt) throw new ConsoleRequestError(404, `no rule named "${s.rule}"`);
        const ms = parseSilenceDuration(s.duration);
        if (ms > MAX_SILENCE_MS) throw new ConsoleRequestError(400, 'a silence may last at most 365 days');
        const now = clock.now();
        const key = silenceKeyFor(rt.rule, s.queryKey);
        const entry = { until: now + ms, exponent: 0, author: s.author, reason: s.reason };
        await app.manualSilences.writeSilence(key, entry, toIso(now));
        inForce = undefined;
        logger.warn(
          { rule: rt.rule.name, key, until: toIso(entry.until), author: s.author, reason: s.reason },
          'silence set in the console',
        );
        const stored = (await app.history.silences(now, signal)).find(
          (x) => x.key === key && x.author === s.author && parseTimestamp(x.until) === entry.until,
        );
        return silenceRow(
          stored ?? {
            id: '',
            key,
            until: toIso(entry.until),
            exponent: 0,
            at: toIso(now),
            author: s.author,
            reason: s.reason,
          },
          { rule: rt.rule.name, queryKey: s.queryKey },
          now,
        );
      }),

    liftSilence: (id, author, signal) =>
      answer(async () => {
        const s = await app.history.silenceById(id, signal);
        if (!s) return false;
        // realert writes a new document for each alert: every one still in force for the key goes
        const same = await app.manualSilences.listSilences({ key: s.key, activeAt: clock.now() });
        const ids = new Set([id, ...same.map((x) => x.id)]);
        for (const x of ids) await app.manualSilences.deleteSilence(x);
        app.forgetSilence(s.key);
        inForce = undefined;
        logger.warn({ key: s.key, author, documents: ids.size }, 'silence lifted in the console');
        return true;
      }),

    explain: (name, window, signal) =>
      answer(async () => {
        const rt = ruleOf(name);
        if (!rt) return undefined;
        const port = app.searchPort(name);
        if (!port) throw new ConsoleRequestError(503, `the rule ${name} has no connection yet`);
        return explainRule(
          rt,
          port,
          window,
          {
            config: app.config,
            clock,
            logger: logger.child({ explain: name }, { level: 'warn' }),
            silences: app.silences,
          },
          signal,
        );
      }),

    k8sWorkloads: (q, signal) => answer(() => k8sWorkloads(mainPort(), app.config.console, q, signal)),

    k8sTimeline: (q, signal) =>
      answer(async () => {
        const t = await k8sTimeline(mainPort(), app.history, app.config.console, q, signal);
        const alerts = [];
        for (const a of t.alerts) alerts.push(await alertEntry(a, entryDeps, signal));
        return { ...t, alerts };
      }),
  };
}
