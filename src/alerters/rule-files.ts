/**
 * Files an alerter option names (smtp_auth_file, jira_account_file, client certificates, email
 * images, indexer_config): relative to the rule's directory, and only inside the rule's directory,
 * the rules folders or allowed_file_paths (config/rule-access.ts). CA bundles are public and are
 * not checked (transport.ts). Problems are OptionProblems naming the option; a path outside is
 * `denied` (the rule is refused).
 */
import { readFileSync } from 'node:fs';
import { ruleFilePath } from '../config/rule-access.ts';
import { parseYaml } from '../config/yaml-source.ts';
import { EsalertError, errorMessage } from '../errors/esalert-error.ts';
import type { Doc } from '../model/lookup.ts';
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
    throw new OptionProblem(option, errorMessage(err), {
      denied: err instanceof EsalertError && err.code === 'PATH_NOT_ALLOWED',
    });
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

/**
 * A YAML file of credentials an option names (smtp_auth_file, jira_account_file), read as
 * ElastAlert 2 reads it (PyYAML: `password: 0123456` is the octal number 42798); a mapping, or
 * an empty one. Problems never quote the file's content.
 */
export function readRuleYamlFile(
  deps: Pick<AlerterDeps, 'ruleDir' | 'fileRoots'>,
  option: string,
  path: string,
): Doc {
  const text = readRuleFile(deps, option, path).toString('utf8');
  let doc: unknown;
  try {
    doc = parseYaml(path, text).value;
  } catch {
    throw new OptionProblem(option, `${path} is not valid YAML`);
  }
  return doc && typeof doc === 'object' && !Array.isArray(doc) ? (doc as Doc) : {};
}
