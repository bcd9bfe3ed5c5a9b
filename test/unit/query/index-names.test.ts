/** strftime index expansion: ElastAlert 2's test_strf_index, test_format_index and hourly cases. */
import { describe, expect, it } from 'vitest';
import { formatIndex, indexFor, strftimeWildcard } from '../../../src/query/index-names.ts';

const t = (s: string) => Date.parse(s);

describe('index names', () => {
  it('EA2 test_strf_index', () => {
    const o = { index: 'logstash-%Y.%m.%d', useStrftimeIndex: true, searchExtraIndex: false };
    expect(indexFor(o, t('2015-01-02T12:34:45Z'), t('2015-01-03T01:02:03Z'))).toBe(
      'logstash-2015.01.02,logstash-2015.01.03',
    );
    expect(indexFor(o)).toBe('logstash-*');
    expect(strftimeWildcard('logstash-%Y.%m-stuff')).toBe('logstash-*-stuff');
  });
  it('EA2 test_format_index with search_extra_index', () => {
    expect(formatIndex('logstash-%Y.%m.%d', t('2018-06-25T12:00:00Z'), t('2018-06-25T12:00:00Z'))).toEqual([
      'logstash-2018.06.25',
    ]);
    expect(
      formatIndex('logstash-%Y.%m.%d', t('2018-06-25T12:00:00Z'), t('2018-06-26T12:00:00Z'), true),
    ).toEqual(['logstash-2018.06.24', 'logstash-2018.06.25', 'logstash-2018.06.26']);
    expect(formatIndex('logstash-%Y.%W', t('2018-06-25T12:00:00Z'), t('2018-06-26T12:00:00Z'), true)).toEqual(
      ['logstash-2018.25', 'logstash-2018.26'],
    );
  });
  it('EA2 hourly indices', () => {
    expect(formatIndex('logstash-%Y.%m.%d.%H', t('2023-12-01T22:53:01Z'), t('2023-12-02T00:10:01Z'))).toEqual(
      ['logstash-2023.12.01.22', 'logstash-2023.12.01.23', 'logstash-2023.12.02.00'],
    );
    expect(
      formatIndex('logstash-%Y.%m.%d.%H', t('2023-12-01T22:53:01Z'), t('2023-12-02T00:10:01Z'), true),
    ).toEqual([
      'logstash-2023.12.01.21',
      'logstash-2023.12.01.22',
      'logstash-2023.12.01.23',
      'logstash-2023.12.02.00',
    ]);
  });
  it('rejects search_extra_index with a static name', () => {
    expect(() =>
      formatIndex('my-static-index-name', t('2023-12-01T22:53:01Z'), t('2023-12-02T00:10:01Z'), true),
    ).toThrow('You cannot use a static index');
  });
  it("the seed article's eventrouter-%Y-%m-%d", () => {
    expect(
      indexFor(
        { index: 'eventrouter-%Y-%m-%d', useStrftimeIndex: true, searchExtraIndex: false },
        t('2024-05-14T23:50:00Z'),
        t('2024-05-15T00:05:00Z'),
      ),
    ).toBe('eventrouter-2024-05-14,eventrouter-2024-05-15');
    expect(
      indexFor({ index: 'eventrouter-*,other', useStrftimeIndex: false, searchExtraIndex: false }, 0, 1),
    ).toBe('eventrouter-*,other');
  });
});
