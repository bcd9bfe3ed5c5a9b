import { z } from 'zod';
import { MatchCollector, type RuleTypeDefinition } from './rule-type.ts';

/** Every hit is a match. */
export const anyRule: RuleTypeDefinition<Record<string, never>> = {
  name: 'any',
  summary: 'Alert on every document the filter matches.',
  options: z.object({}).transform(() => ({})),
  optionNames: [],
  supportsCountQuery: false,
  supportsTermsQuery: false,
  create(ctx) {
    const matches = new MatchCollector(ctx.timestampField);
    return {
      addData(hits) {
        for (const h of hits) matches.add(h.doc, h.ts);
      },
      garbageCollect() {},
      takeMatches: () => matches.take(),
      matchText: () => '',
    };
  },
};
