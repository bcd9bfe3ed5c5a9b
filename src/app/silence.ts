/**
 * `esalert silence`: hold back a rule's alerts (or one query_key value's) for a while, list the
 * silences in force, lift one. Silences are documents in the writeback `_silence` index, exactly
 * what ElastAlert 2's `--silence` writes, so either engine honours the other's.
 */
import { existsSync, statSync } from 'node:fs';
import { ruleSilenceKey, silenceKey } from '../alerts/realert.ts';
import { EsalertError } from '../errors/esalert-error.ts';
import type { CompiledRule } from '../compile/compiled-rule.ts';
import { loadRuleFile } from '../compile/compile-rule.ts';
import { loadRules } from '../compile/load-rules.ts';
import { createEsWriteback } from '../state/es-writeback.ts';
import type { SilenceStore } from '../state/writeback.ts';
import { toIso } from '../util/time.ts';
import type { EnvLookup } from '../config/interpolate.ts';
import { type Clock, systemClock } from '../model/clock.ts';
import { createLogger, SecretRegistry } from './logger.ts';
import { catalogs } from './catalogs.ts';
import { loadToolConfig } from './tool-config.ts';
import type { GlobalConfig } from '../config/global-config.ts';
import { type ConnectDeps, connectWithRetry } from './connect.ts';

const UNIT_MS: Record<string, number> = {
  w: 604_800_000,
  weeks: 604_800_000,
  d: 86_400_000,
  days: 86_400_000,
  h: 3_600_000,
  hours: 3_600_000,
  m: 60_000,
  minutes: 60_000,
  s: 1000,
  seconds: 1000,
};

/** `hours=4` (ElastAlert 2's --silence), or `4h`, `90m`, `1h30m`, `2d`, `1w`. */
export function parseSilenceDuration(text: string): number {
  const t = text.trim();
  const ea2 = /^(weeks|days|hours|minutes|seconds)=(\d+)$/.exec(t);
  if (ea2) return Number(ea2[2]) * UNIT_MS[ea2[1]!]!;
  const parts = [...t.matchAll(/(\d+(?:\.\d+)?)([wdhms])/g)];
  if (parts.length && parts.map((p) => p[0]).join('') === t) {
    const ms = parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_MS[p[2]!]!, 0);
    if (ms > 0) return Math.round(ms);
  }
  throw new EsalertError(
    'CONFIG_INVALID',
    `"${text}" is not a duration: write 4h, 30m, 1h30m, 2d, 1w, or hours=4 as ElastAlert 2's --silence does`,
  );
}

/** The rule a user names: a rule file, or a rule name found in the rules folders. */
export function findRule(
  ref: string,
  config: GlobalConfig,
  deps: Pick<ConnectDeps, 'env' | 'logger'>,
  configFile?: string,
): CompiledRule {
  const ctx = { global: config, env: deps.env, catalogs: catalogs(configFile), logger: deps.logger };
  if (existsSync(ref) && statSync(ref).isFile()) return loadRuleFile(ref, ctx);
  const loaded = loadRules(ctx);
  const rule = [...loaded.rules, ...loaded.disabled].find((r) => r.name === ref);
  if (rule) return rule;
  const byFile = loadRules(ctx, ref);
  if (byFile.rules[0]) return byFile.rules[0];
  throw new EsalertError(
    'CONFIG_INVALID',
    `no rule named "${ref}" (and no such rule file) in ${config.rulesFolders.join(', ')}`,
  );
}

/** The silence key: `<name>._silence` for the whole rule, `<realert_key>.<value>` for one query_key value. */
export function silenceKeyFor(rule: CompiledRule, queryKeyValue?: string): string {
  return queryKeyValue === undefined
    ? ruleSilenceKey(rule.name)
    : silenceKey(rule.options.realertKey, queryKeyValue);
}

export interface SilenceContext {
  config: GlobalConfig;
  store: SilenceStore;
  close(): Promise<void>;
}

export async function openSilences(
  configFile: string | undefined,
  deps: ConnectDeps,
): Promise<SilenceContext> {
  const config = loadToolConfig(configFile, deps.env);
  const conn = await connectWithRetry(config.raw, deps, AbortSignal.timeout(60_000));
  // visible to the next search of a running esalert at once
  const store = createEsWriteback(conn.client, config.writebackIndex, { refresh: 'wait_for' });
  await store.ensureIndices();
  return { config, store, close: () => conn.close() };
}

export async function setSilence(
  ctx: SilenceContext,
  rule: CompiledRule,
  durationMs: number,
  now: number,
  queryKeyValue?: string,
): Promise<{ key: string; until: string }> {
  const key = silenceKeyFor(rule, queryKeyValue);
  const until = now + durationMs;
  await ctx.store.writeSilence(key, { until, exponent: 0 }, toIso(now));
  return { key, until: toIso(until) };
}

export async function listSilences(
  ctx: SilenceContext,
  now: number,
  o: { rule?: CompiledRule; all?: boolean },
): Promise<{ id: string; key: string; until: string; exponent: number }[]> {
  const filter = {
    ...(o.rule ? { key: ruleSilenceKey(o.rule.name), prefix: `${o.rule.options.realertKey}.` } : {}),
    ...(o.all ? {} : { activeAt: now }),
  };
  return ctx.store.listSilences(filter);
}

/** Lifts by document id, or every silence in force for a rule (or one of its query_key values). */
export async function liftSilences(
  ctx: SilenceContext,
  now: number,
  target: { id: string } | { rule: CompiledRule; queryKeyValue?: string },
): Promise<string[]> {
  if ('id' in target) return (await ctx.store.deleteSilence(target.id)) ? [target.id] : [];
  const key = silenceKeyFor(target.rule, target.queryKeyValue);
  const lifted: string[] = [];
  for (const s of await ctx.store.listSilences({ key, activeAt: now })) {
    if (await ctx.store.deleteSilence(s.id)) lifted.push(s.id);
  }
  return lifted;
}

/** What the silence commands run on: the system clock, and a logger that scrubs connection secrets. */
export function silenceTools(env: EnvLookup): ConnectDeps & { clock: Clock } {
  const secrets = new SecretRegistry();
  return {
    env,
    clock: systemClock,
    logger: createLogger({ level: 'warn', format: 'json' }, secrets),
    secrets,
  };
}

/** `esalert silence set` and ElastAlert 2's `run --silence UNIT=N --rule X`. */
export async function silenceRule(
  o: { config?: string; rule: string; duration: string; key?: string },
  env: EnvLookup,
  out: (line: string) => void,
): Promise<void> {
  const durationMs = parseSilenceDuration(o.duration);
  const deps = silenceTools(env);
  const ctx = await openSilences(o.config, deps);
  try {
    const rule = findRule(o.rule, ctx.config, deps, o.config);
    const s = await setSilence(ctx, rule, durationMs, deps.clock.now(), o.key);
    out(
      `Silenced ${o.key === undefined ? `rule "${rule.name}"` : `"${rule.name}" for ${rule.options.queryKey ?? 'query_key'} = ${o.key}`} until ${s.until} (key ${s.key})`,
    );
  } finally {
    await ctx.close();
  }
}
