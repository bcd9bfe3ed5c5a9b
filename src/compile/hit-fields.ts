/**
 * The `_source` fields a rule that reads hits asks Elasticsearch for, when its rule type reads only
 * a few fields of each hit and few hits become matches (RuleTypeDefinition.hitFields): the
 * timestamp, the query and aggregation keys and the type's fields. Matches are completed from
 * their whole documents before they are handled (engine/complete-matches.ts), so alerts carry
 * every field, as when whole documents are read.
 *
 * Each field name becomes a `_source` include pattern the way lookupField (model/lookup.ts) reads
 * it: array indexes (`items[2].name`) take the whole array, and a trailing `.keyword` also takes
 * the field it is the multi-field of, which is what the document holds.
 */
import type { RuleOptions } from '../model/rule-options.ts';

export function sourcePatterns(fields: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const field of fields) {
    if (!field) continue;
    const bracket = field.indexOf('[');
    const path = bracket >= 0 ? field.slice(0, bracket) : field;
    if (!path) continue;
    out.add(path);
    if (bracket < 0 && path.endsWith('.keyword') && path.length > '.keyword'.length)
      out.add(path.slice(0, -'.keyword'.length));
  }
  return [...out];
}

/**
 * The include patterns for a rule whose type reads `typeFields` of each hit, or undefined when the
 * rule reads whole documents: its type needs them, or the rule names `include` itself (ElastAlert
 * 2's `include`: its matches then carry only those fields, as there).
 */
export function hitSourceFields(
  options: RuleOptions,
  typeFields: string[] | undefined,
  extra: readonly string[] = [],
): string[] | undefined {
  if (typeFields === undefined || options.include !== undefined) return undefined;
  return sourcePatterns([
    options.timestampField,
    ...(options.compoundQueryKey ?? (options.queryKey ? [options.queryKey] : [])),
    ...(options.compoundAggregationKey ?? (options.aggregationKey ? [options.aggregationKey] : [])),
    ...typeFields,
    ...extra,
  ]);
}
