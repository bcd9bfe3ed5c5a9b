/** The `debug` alerter: logs each alert (as ElastAlert 2 does under --debug). */
import { lookupField, pythonStr } from '../model/lookup.ts';
import type { AlerterDefinition } from './alerter.ts';

export const debugAlerter: AlerterDefinition = {
  name: 'debug',
  aliases: ['elastalert.alerters.debug.DebugAlerter'],
  summary: 'Writes alerts to the log instead of sending them.',
  optionNames: [],
  create(options, deps) {
    return {
      type: 'debug',
      channel: 'debug',
      info: () => ({ type: 'debug' }),
      secrets: () => [],
      async send(content) {
        const qk = typeof options.query_key === 'string' ? options.query_key : undefined;
        const tsField = typeof options.timestamp_field === 'string' ? options.timestamp_field : '@timestamp';
        content.matches.forEach((match, i) => {
          const key = qk && qk in match ? `, ${pythonStr(lookupField(match, qk))}` : '';
          deps.logger.info(
            { alert: content.ruleName, text: content.matchTexts[i] },
            `Alert for ${content.ruleName}${key} at ${pythonStr(lookupField(match, tsField))}:`,
          );
        });
        return { ok: true };
      },
    };
  },
};
