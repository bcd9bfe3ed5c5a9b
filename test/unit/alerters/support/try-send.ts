/** Creates an alerter from options and sends one alert built the way the pipeline builds it. */
import type { AlerterDefinition, AlerterDeps } from '../../../../src/alerters/alerter.ts';
import type { Match } from '../../../../src/model/match.ts';
import type { Doc } from '../../../../src/model/lookup.ts';
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
