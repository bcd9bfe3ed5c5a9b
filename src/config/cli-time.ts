/** --start/--end: ISO 8601 or NOW. */
import { EsalertError } from '../errors/esalert-error.ts';
import { parseTimestamp } from '../util/time.ts';

export function parseCliTime(
  value: string | undefined,
  flag: string,
  clock: { now(): number },
): number | undefined {
  if (value === undefined) return undefined;
  if (value.toUpperCase() === 'NOW') return clock.now();
  const t = parseTimestamp(value);
  if (t === undefined)
    throw new EsalertError(
      'CONFIG_INVALID',
      `${flag} ${value} is not a valid ISO 8601 timestamp (YYYY-MM-DDTHH:MM:SS+00:00)`,
    );
  return t;
}
