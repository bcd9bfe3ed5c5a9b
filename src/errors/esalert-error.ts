/**
 * One error hierarchy for the whole program. Every error carries a stable `code` that callers
 * branch on, and says whether the user (a config or rule file) or the system (Elasticsearch,
 * a webhook, a bug) is at fault. Messages say what to fix.
 */

export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_NOT_FOUND'
  | 'RULE_INVALID'
  | 'RULE_DUPLICATE_NAME'
  | 'RULE_IMPORT_FAILED'
  | 'QUERY_SYNTAX'
  | 'TEMPLATE_INVALID'
  | 'ES_UNREACHABLE'
  | 'ES_AUTH'
  | 'ES_QUERY_FAILED'
  | 'ES_VERSION_UNSUPPORTED'
  | 'WRITEBACK_FAILED'
  | 'ALERT_FAILED'
  | 'LEASE_LOST'
  | 'MODULE_LOAD_FAILED'
  | 'DATA_INVALID'
  | 'ABORTED'
  | 'INTERNAL';

export type Fault = 'user' | 'system';

export interface SourceLocation {
  file: string;
  line?: number;
  column?: number;
}

export function formatLocation(loc: SourceLocation | undefined): string {
  if (!loc) return '';
  if (loc.line === undefined) return loc.file;
  return loc.column === undefined ? `${loc.file}:${loc.line}` : `${loc.file}:${loc.line}:${loc.column}`;
}

export interface EsalertErrorOptions {
  fault?: Fault;
  location?: SourceLocation;
  /** Transient (worth retrying) as opposed to permanent. */
  retryable?: boolean;
  cause?: unknown;
}

export class EsalertError extends Error {
  readonly code: ErrorCode;
  readonly fault: Fault;
  readonly location: SourceLocation | undefined;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: EsalertErrorOptions = {}) {
    super(options.location ? `${formatLocation(options.location)}: ${message}` : message, {
      cause: options.cause,
    });
    this.name = 'EsalertError';
    this.code = code;
    this.fault = options.fault ?? defaultFault(code);
    this.location = options.location;
    this.retryable = options.retryable ?? false;
  }
}

function defaultFault(code: ErrorCode): Fault {
  switch (code) {
    case 'CONFIG_INVALID':
    case 'CONFIG_NOT_FOUND':
    case 'RULE_INVALID':
    case 'RULE_DUPLICATE_NAME':
    case 'RULE_IMPORT_FAILED':
    case 'QUERY_SYNTAX':
    case 'TEMPLATE_INVALID':
    case 'MODULE_LOAD_FAILED':
    case 'DATA_INVALID':
      return 'user';
    case 'ES_UNREACHABLE':
    case 'ES_AUTH':
    case 'ES_QUERY_FAILED':
    case 'ES_VERSION_UNSUPPORTED':
    case 'WRITEBACK_FAILED':
    case 'ALERT_FAILED':
    case 'LEASE_LOST':
    case 'ABORTED':
    case 'INTERNAL':
      return 'system';
  }
}

export function isEsalertError(err: unknown, code?: ErrorCode): err is EsalertError {
  return err instanceof EsalertError && (code === undefined || err.code === code);
}

/** The message of anything thrown, without assuming it is an Error. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return typeof err === 'string' ? err : JSON.stringify(err);
}
