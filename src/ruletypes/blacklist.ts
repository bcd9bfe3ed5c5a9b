import { z } from 'zod';
import { lookupField } from '../model/lookup.ts';
import { compareKey, listFilter, valueList } from './compare.ts';
import { MatchCollector, type RuleTypeDefinition } from './rule-type.ts';
import type { Hit } from '../model/match.ts';

export const blacklistOptions = z.object({
  compare_key: compareKey,
  blacklist: valueList('blacklist'),
  filter_by_list: z.boolean({ error: 'must be true or false' }).default(true),
});
export type BlacklistOptions = z.infer<typeof blacklistOptions>;

/**
 * A document whose compare_key value is one of the blacklist's entries (exact text equality; a
 * missing field, a number or a list never is). With filter_by_list (the default) the list also
 * goes into the query, so only candidates are fetched.
 */
export const blacklistRule: RuleTypeDefinition<BlacklistOptions> = {
  name: 'blacklist',
  summary: 'Alert when compare_key holds one of the blacklist values.',
  options: blacklistOptions,
  optionNames: ['compare_key', 'blacklist', 'filter_by_list'],
  supportsCountQuery: false,
  supportsTermsQuery: false,
  extraFilters: (o) => (o.filter_by_list ? listFilter(o.compare_key, o.blacklist, 'blacklist') : []),
  create(ctx, o) {
    const matches = new MatchCollector(ctx.timestampField);
    const listed = new Set(o.blacklist);
    return {
      addData(hits: Hit[]) {
        for (const h of hits) {
          const v = lookupField(h.doc, o.compare_key);
          if (typeof v === 'string' && listed.has(v)) matches.add(h.doc, h.ts);
        }
      },
      garbageCollect() {},
      takeMatches: () => matches.take(),
      matchText: () => '',
    };
  },
};
