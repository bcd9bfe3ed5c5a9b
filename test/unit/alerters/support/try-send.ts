/** Creates an alerter from options and sends one alert built the way the pipeline builds it. */
import type { AlerterDefinition, AlerterDeps } from '../../../../src/alerters/alerter.ts';
import type { Match } from '../../../../src/ruletypes/rule-type.ts';
import type { Doc } from '../../../../src/util/lookup.ts';
import { alertContent, captureLog, deps, signal } from './alert-content.ts';

export async function trySend(
  definition: AlerterDefinition,
  options: Doc,
  matches: Match[],
  extraDeps: Partial<AlerterDeps> = {},
) {
  const log = captureLog();
  const alerter = definition.create(options, { ...deps(log), ...extraDeps });
  const outcome = await alerter.send(alertContent(options, matches), signal());
  return { outcome, alerter, log };
}
