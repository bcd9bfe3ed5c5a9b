import { describe, expect, it } from 'vitest';
import { toRuleHits } from '../../../src/query/hits-reader.ts';
import { timestampCodec } from '../../../src/query/timestamps.ts';

describe('toRuleHits (ElastAlert 2 process_hits)', () => {
  const p = { timestampField: '@timestamp', codec: timestampCodec('iso') };

  it('copies _id and _index into the document, and _type where the server names one (Elasticsearch 7.x)', () => {
    const [seven, eight] = toRuleHits(
      [
        { _id: 'a', _index: 'i', _type: '_doc', _source: { '@timestamp': '2024-05-14T00:00:00Z' } },
        { _id: 'b', _index: 'i', _source: { '@timestamp': '2024-05-14T00:00:01Z' } },
      ],
      p,
    );
    expect(seven!.doc).toMatchObject({ _id: 'a', _index: 'i', _type: '_doc' });
    expect(eight!.doc).toMatchObject({ _id: 'b', _index: 'i' });
    expect('_type' in eight!.doc).toBe(false);
  });
});
