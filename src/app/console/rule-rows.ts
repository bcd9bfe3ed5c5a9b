/** Rules as the console lists and shows them (GET /api/rules, /api/rules/{name}). */
import { readFileSync } from 'node:fs';
import type { RuntimeRule } from '../../engine/runtime-rule.ts';
import type { RuleOwner, RuleStatus } from '../../http/observability.ts';
import type { LoadError, RuleDetail, RuleRow, SilenceBrief } from '../../http/console/web/api-types.ts';
import { maskYamlSecrets } from '../../util/mask-secrets.ts';

/** 90000 -> "1m30s". */
export function shortDuration(ms: number): string {
  if (ms <= 0) return '0s';
  const parts: string[] = [];
  let rest = Math.round(ms / 1000);
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.join('') || `${ms}ms`;
}

export function schedule(rt: RuntimeRule): string {
  const cron = rt.rule.options.limitExecution?.expression;
  const every = `every ${shortDuration(rt.rule.options.runEveryMs)}`;
  return typeof cron === 'string' ? `${every}, at ${cron}` : every;
}

export function ruleRow(
  rt: RuntimeRule,
  status: (RuleStatus & { nextRun?: string; replicas?: RuleOwner }) | undefined,
  silences: SilenceBrief[],
): RuleRow {
  const r = rt.rule;
  return {
    name: r.name,
    file: r.file,
    type: r.definition.common.type,
    index: r.options.index,
    schedule: schedule(rt),
    owner: status?.replicas?.owner ?? null,
    ...(status?.replicas
      ? {
          lease: {
            ownedHere: status.replicas.ownedHere,
            epoch: status.replicas.epoch ?? null,
            ageSeconds: status.replicas.leaseAgeSeconds ?? null,
            handovers: status.replicas.handovers,
          },
        }
      : {}),
    loadedAt: status?.loadedAt ?? '',
    ...(status?.reloadError ? { reloadError: status.reloadError } : {}),
    ...(status?.lastRun ? { lastRun: status.lastRun } : {}),
    ...(status?.nextRun ? { nextRun: status.nextRun } : {}),
    ...(status?.lastAlert ? { lastAlert: status.lastAlert } : {}),
    runs: status?.runs ?? 0,
    skippedRuns: status?.skippedRuns ?? 0,
    silences,
    // the rule file's warnings, and those of its setup (no such index, fields in no mapping)
    warningCount: r.warnings.length + (status?.warnings.length ?? 0),
  };
}

export function ruleDetail(
  row: RuleRow,
  rt: RuntimeRule,
  secrets: readonly string[],
  setupWarnings: readonly string[] = [],
): RuleDetail {
  const r = rt.rule;
  const path = r.files[0] ?? r.file;
  let yaml: string;
  try {
    yaml = maskYamlSecrets(readFileSync(path, 'utf8'), secrets);
  } catch (err) {
    yaml = `# ${path} cannot be read: ${(err as Error).message}`;
  }
  const o = r.options;
  return {
    ...row,
    yaml,
    imports: r.files.slice(1),
    warnings: [...r.warnings, ...setupWarnings],
    queryKey: o.compoundQueryKey ? o.compoundQueryKey.join(',') : (o.queryKey ?? null),
    realertMs: o.realertMs,
    timeframeMs: o.timeframeMs ?? null,
    alerters: r.alerters.map((a, i) => `${i}:${a.type}`),
    timestampField: o.timestampField,
  };
}

/** A load error with the line its message starts with ("rules/x.yaml:12:3: ..."). */
export function loadError(e: { file: string; error: string; at: string }): LoadError {
  const m = /^(.*?):(\d+)(?::\d+)?: /.exec(e.error);
  const line = m && (m[1] === e.file || m[1]!.endsWith(`/${e.file}`)) ? Number(m[2]) : undefined;
  return { file: e.file, ...(line !== undefined ? { line } : {}), error: e.error, at: e.at };
}
