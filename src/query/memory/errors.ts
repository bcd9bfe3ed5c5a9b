/** Errors of the in-memory search backend. */
import { EsalertError } from '../../errors/esalert-error.ts';

/**
 * A query Elasticsearch would refuse for a field's type or value (a word against a number field, a
 * prefix on a date, a malformed regular expression): lenient query_string evaluation turns it
 * into "matches nothing", as Elasticsearch does; elsewhere it is a QUERY_SYNTAX error.
 */
export class FieldQueryError extends Error {}

/** The request uses something the in-memory backend does not evaluate: never silently match nothing. */
export function unsupported(what: string): EsalertError {
  return new EsalertError('QUERY_SYNTAX', `${what} is not supported by the in-memory search backend`);
}

/** A malformed request, as Elasticsearch would answer 400. */
export function badRequest(message: string): EsalertError {
  return new EsalertError('QUERY_SYNTAX', message);
}
