/**
 * A query Elasticsearch would refuse for a field's type or value (a word against a number field, a
 * prefix on a date, a malformed regular expression): lenient query_string evaluation turns it
 * into "matches nothing", as Elasticsearch does; elsewhere it is a QUERY_SYNTAX error.
 */
export class FieldQueryError extends Error {}
