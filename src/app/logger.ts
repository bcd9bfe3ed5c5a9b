/**
 * Logs: JSON lines by default (pino), readable lines with --log-format text. Known secret values
 * (passwords, API keys, webhook tokens, header values), in their encoded forms too, are replaced
 * by *** in every message and field, and fields named like credentials (authorization, password,
 * token...) are masked at any depth. Errors keep their message and stack; cycles do not throw.
 */
import { pino, type Logger } from 'pino';
import { scrubForLog } from '../util/redact.ts';

export type LogFormat = 'json' | 'text';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LoggerOptions {
  level: LogLevel;
  format: LogFormat;
  /** Where lines go (default stderr); tests pass a stream. */
  destination?: NodeJS.WritableStream;
}

/** Values to scrub from every log line; alerters and connections register theirs as they load. */
export class SecretRegistry {
  private readonly values = new Set<string>();
  add(...secrets: (string | number | undefined)[]): void {
    for (const v of secrets) {
      const s = typeof v === 'number' ? String(v) : v;
      if (s && s.length >= 4) this.values.add(s);
    }
  }
  list(): string[] {
    return [...this.values];
  }
}

export function createLogger(options: LoggerOptions, secrets: SecretRegistry): Logger {
  const scrub = (v: unknown) => {
    const list = secrets.list();
    return scrubForLog(v, list);
  };
  const transport =
    options.format === 'text'
      ? pino.transport({
          target: 'pino-pretty',
          options: { destination: 2, colorize: false, translateTime: 'SYS:standard', ignore: 'pid,hostname' },
        })
      : undefined;
  return pino(
    {
      level: options.level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      // fields named like credentials are masked at any depth by scrubForLog (no pino `redact`:
      // it would walk every line a second time)
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map(scrub) as Parameters<typeof method>);
        },
      },
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? transport ?? pino.destination(2),
  );
}
