import { z } from 'zod';
import { lookupField } from '../model/lookup.ts';
import { compareKey, listFilter, valueList } from './compare.ts';
import { MatchCollector, type RuleTypeDefinition } from './rule-type.ts';
import type { Hit } from '../model/match.ts';

export const whitelistOptions = z.object({
  compare_key: compareKey,
  whitelist: valueList('whitelist'),
  ignore_null: z.boolean({
    error: 'is required: true to skip documents without compare_key, false to alert on them',
  }),
  filter_by_list: z.boolean({ error: 'must be true or false' }).default(true),
});
export type WhitelistOptions = z.infer<typeof whitelistOptions>;

/**
 * A document whose compare_key value is not one of the whitelist's entries (exact text
 * equality), or has no value at all unless ignore_null. With filter_by_list (the default) the
 * list also goes into the query as NOT clauses.
 */
export const whitelistRule: RuleTypeDefinition<WhitelistOptions> = {
  name: 'whitelist',
  summary: 'Alert when compare_key holds a value outside the whitelist.',
  options: whitelistOptions,
  optionNames: ['compare_key', 'whitelist', 'ignore_null', 'filter_by_list'],
  supportsCountQuery: false,
  supportsTermsQuery: false,
  extraFilters: (o) => (o.filter_by_list ? listFilter(o.compare_key, o.whitelist, 'whitelist') : []),
  create(ctx, o) {
    const matches = new MatchCollector(ctx.timestampField);
    const allowed = new Set(o.whitelist);
    return {
      addData(hits: Hit[]) {
        for (const h of hits) {
          const v = lookupField(h.doc, o.compare_key);
          const match = v === undefined ? !o.ignore_null : !(typeof v === 'string' && allowed.has(v));
          if (match) matches.add(h.doc, h.ts);
        }
      },
      garbageCollect() {},
      takeMatches: () => matches.take(),
      matchText: () => '',
    };
  },
};
