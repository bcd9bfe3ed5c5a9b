/**
 * Whether a Python format string (alert_text, alert_subject with their *_args or alert_text_kw)
 * can work at all. A problem no value could avoid (an argument index past the list, a stray
 * brace, an invalid format spec) makes every alert fail; a spec that needs a number (`{2:.2f}`)
 * is fine, because the field may well hold one.
 */
import { pythonFormat } from '../format/python-format.ts';
import { errorMessage } from '../errors/esalert-error.ts';

/** The error of formatting `text` whatever the values are, or undefined when some values format. */
export function formatProblem(
  text: string,
  argCount: number,
  kwNames: readonly string[],
): string | undefined {
  let first: string | undefined;
  // a string, an integer and a mapping between them satisfy every spec and every lookup
  for (const value of ['', 0, {}]) {
    try {
      pythonFormat(
        text,
        Array.from({ length: argCount }, () => value),
        Object.fromEntries(kwNames.map((k) => [k, value])),
      );
      return undefined;
    } catch (err) {
      first ??= errorMessage(err);
    }
  }
  return first;
}
