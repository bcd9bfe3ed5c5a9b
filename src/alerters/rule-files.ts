/**
 * Files an alerter option names (smtp_auth_file, certificates, CA bundles, email images): relative
 * to the rule's directory, and only inside the rule's directory, the rules folders or
 * allowed_file_paths (config/rule-access.ts). Problems are OptionProblems naming the option.
 */
import { readFileSync } from 'node:fs';
import { ruleFilePath } from '../config/rule-access.ts';
import { errorMessage } from '../errors/esalert-error.ts';
import type { AlerterDeps } from './alerter.ts';
import { OptionProblem } from './alerter.ts';

/** The checked path of a file an option names. */
export function ruleFile(
  deps: Pick<AlerterDeps, 'ruleDir' | 'fileRoots'>,
  option: string,
  path: string,
): string {
  try {
    return ruleFilePath('', path, deps.ruleDir, deps.fileRoots ?? []);
  } catch (err) {
    throw new OptionProblem(option, errorMessage(err));
  }
}

/** The content of a file an option names. */
export function readRuleFile(
  deps: Pick<AlerterDeps, 'ruleDir' | 'fileRoots'>,
  option: string,
  path: string,
): Buffer {
  const file = ruleFile(deps, option, path);
  try {
    return readFileSync(file);
  } catch (err) {
    throw new OptionProblem(
      option,
      `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? errorMessage(err)})`,
    );
  }
}
