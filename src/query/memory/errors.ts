/** Errors of the in-memory search backend. */
import { EsalertError } from '../../errors/esalert-error.ts';

/** The request uses something the in-memory backend does not evaluate: never silently match nothing. */
export function unsupported(what: string): EsalertError {
  return new EsalertError('QUERY_SYNTAX', `${what} is not supported by the in-memory search backend`);
}

/** A malformed request, as Elasticsearch would answer 400. */
export function badRequest(message: string): EsalertError {
  return new EsalertError('QUERY_SYNTAX', message);
}
