/**
 * Setups that cannot alert, found by asking Elasticsearch once per rule load: an index pattern
 * that matches no index (a typo in `index:` reads as "no events"), and fields the rule relies on
 * (timestamp_field, query_key, compare_key) that no index it matches maps. Each warning names
 * the rule file's line. They are warnings: an index may be created after the rule.
 */
import type { CompiledRule } from '../compile/compiled-rule.ts';
import { errorMessage, formatLocation } from '../errors/esalert-error.ts';
import type { EsClient } from '../query/es-client.ts';
import { indexFor } from '../query/index-names.ts';

const asList = (v: unknown): string[] =>
  (Array.isArray(v) ? v : [v]).filter((f): f is string => typeof f === 'string' && f !== '');

/** The fields the rule cannot work without, with the option that names each. */
function neededFields(rule: CompiledRule): { option: string; field: string }[] {
  const o = rule.options;
  return [
    { option: 'timestamp_field', field: o.timestampField },
    ...asList(o.compoundQueryKey ?? o.queryKey).map((field) => ({ option: 'query_key', field })),
    ...asList(rule.definition.raw.compare_key).map((field) => ({ option: 'compare_key', field })),
  ];
}

export async function setupWarnings(
  rule: CompiledRule,
  client: Pick<EsClient, 'fieldCaps'>,
  signal?: AbortSignal,
): Promise<string[]> {
  const index = indexFor(rule.options);
  const needed = neededFields(rule);
  const at = (key: string) => formatLocation(rule.definition.locate([key]));
  let caps: Awaited<ReturnType<EsClient['fieldCaps']>>;
  try {
    caps = await client.fieldCaps(
      { index, fields: [...new Set(needed.map((n) => n.field))] },
      { signal, requestTimeout: 10_000 },
    );
  } catch (err) {
    return [`${at('index')}: could not check index "${index}" and its mapping: ${errorMessage(err)}`];
  }
  if (!caps.indices?.length)
    return [`${at('index')}: index "${index}" matches no index: check the name (the rule finds no events)`];
  return needed
    .filter(({ field }) => !(field in caps.fields))
    .map(
      ({ option, field }) =>
        `${at(option)}: ${option} "${field}" is in no mapping of ${index}: check the field name`,
    );
}
