/**
 * Hot reload: the rules folders are checked every few seconds. A new file is loaded and
 * scheduled, a deleted or disabled one stops, a changed one (the file or anything it imports) is
 * validated and then swapped in: an unchanged rule is never touched and keeps its state, and an
 * edit that fails to load leaves the previous version running, with the error in the logs, the
 * metrics and /api/rules. Files are compared by content, so a Kubernetes ConfigMap update (its
 * `..data` symlink swapped to a new directory) is seen like any other edit.
 */
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { EsalertError, errorMessage } from '../errors/esalert-error.ts';
import { displayPath, hashFiles } from '../rules/load-rule.ts';
import { type LoadedRules } from '../compile/load-rules.ts';
import type { Observability } from '../http/observability.ts';
import { loadRuleFile, type RuleLoadContext } from '../compile/compile-rule.ts';
import type { CompiledRule } from '../compile/compiled-rule.ts';
import { findRuleFiles } from '../rules/find-rule-files.ts';

interface Known {
  /** Content hash of the rule file and its imports when last loaded (or tried). */
  hash: string;
  /** The files that make the rule (itself and imports); just itself when it failed to load. */
  files: readonly string[];
  /** The rule it runs as, when loaded and enabled. */
  ruleName?: string;
}

export interface ReloaderDeps {
  ctx: RuleLoadContext;
  /** `--rule`: only this rule; new files are not picked up. */
  onlyRule?: string;
  install(rule: CompiledRule): Promise<void>;
  remove(name: string): void;
  logger: Logger;
  observability?: Observability;
  /** A rule file failed to load, or loads again (self_alert). */
  onLoadFailed?: (file: string, message: string) => void;
  onLoadCleared?: (file: string) => void;
}

export interface ReloadResult {
  added: string[];
  changed: string[];
  removed: string[];
  failed: string[];
}

export class RuleReloader {
  private readonly known = new Map<string, Known>();
  private readonly d: ReloaderDeps;

  constructor(deps: ReloaderDeps, initial: LoadedRules) {
    this.d = deps;
    for (const r of [...initial.rules, ...initial.disabled]) {
      const abs = resolve(r.files[0] ?? r.file);
      this.known.set(abs, {
        hash: r.hash,
        files: r.files,
        ...(r.options.isEnabled ? { ruleName: r.name } : {}),
      });
    }
    for (const { file } of initial.errors) {
      if (!file) continue;
      const abs = resolve(file);
      this.known.set(abs, { hash: hashFiles([abs]), files: [abs] });
    }
  }

  private ruleFiles(): string[] {
    const g = this.d.ctx.global;
    return findRuleFiles(g.rulesFolders, g.scanSubdirectories, this.d.onlyRule).files.map((f) => resolve(f));
  }

  /** Compares the folders with what runs, and applies the differences. */
  async check(): Promise<ReloadResult> {
    const result: ReloadResult = { added: [], changed: [], removed: [], failed: [] };
    const log = this.d.logger;
    const files = new Set(this.ruleFiles());
    for (const [abs, k] of [...this.known]) {
      if (files.has(abs)) continue;
      this.known.delete(abs);
      this.d.observability?.loadErrorCleared(displayPath(abs));
      this.d.onLoadCleared?.(displayPath(abs));
      if (k.ruleName) {
        this.d.remove(k.ruleName);
        result.removed.push(k.ruleName);
        log.warn(
          { rule: k.ruleName, file: displayPath(abs) },
          `rule ${k.ruleName} removed: its file is gone`,
        );
      }
    }
    for (const abs of [...files].sort()) {
      const k = this.known.get(abs);
      if (!k && this.d.onlyRule && this.known.size > 0) continue;
      const hash = hashFiles(k?.files ?? [abs]);
      if (k && hash === k.hash) continue;
      const shown = displayPath(abs);
      let rule: CompiledRule;
      try {
        rule = loadRuleFile(abs, this.d.ctx);
        const clash = [...this.known].find(([other, o]) => other !== abs && o.ruleName === rule.name);
        if (clash && rule.options.isEnabled) {
          throw new EsalertError(
            'RULE_DUPLICATE_NAME',
            `${shown}: duplicate rule name "${rule.name}" (already used by ${displayPath(clash[0])}); give each rule a unique name`,
          );
        }
      } catch (err) {
        const message = errorMessage(err);
        this.known.set(abs, k ? { ...k, hash } : { hash, files: [abs] });
        this.d.observability?.loadFailed(shown, message, k?.ruleName);
        this.d.onLoadFailed?.(shown, message);
        result.failed.push(shown);
        log.error(
          { file: shown, ...(k?.ruleName ? { rule: k.ruleName } : {}) },
          k?.ruleName ? `${message} (the previous version of ${k.ruleName} keeps running)` : message,
        );
        continue;
      }
      for (const w of rule.warnings) log.warn(w);
      if (k?.ruleName && k.ruleName !== rule.name) {
        this.d.remove(k.ruleName);
        result.removed.push(k.ruleName);
      }
      if (!rule.options.isEnabled) {
        if (k?.ruleName === rule.name) {
          this.d.remove(rule.name);
          result.removed.push(rule.name);
          log.warn({ rule: rule.name }, `rule ${rule.name} stopped: is_enabled is false`);
        }
        this.d.observability?.loadErrorCleared(shown);
        this.d.onLoadCleared?.(shown);
        this.known.set(abs, { hash: rule.hash, files: rule.files });
        continue;
      }
      await this.d.install(rule);
      this.d.onLoadCleared?.(shown);
      this.known.set(abs, { hash: rule.hash, files: rule.files, ruleName: rule.name });
      (k?.ruleName === rule.name ? result.changed : result.added).push(rule.name);
      log.info(
        { rule: rule.name, file: shown },
        k?.ruleName === rule.name ? `rule ${rule.name} reloaded` : `rule ${rule.name} loaded`,
      );
    }
    return result;
  }
}
