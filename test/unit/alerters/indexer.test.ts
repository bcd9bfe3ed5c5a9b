/** The indexer's document, built as ElastAlert 2 builds it from indexer_alert_config and the match. */
import { describe, expect, it } from 'vitest';
import { OptionProblem } from '../../../src/alerters/alerter.ts';
import { indexerAlerter, indexerDocument } from '../../../src/alerters/indexer.ts';
import { captureLog, deps } from './support/alert-content.ts';

const MATCH = {
  '@timestamp': '2024-05-14T03:21:09Z',
  message: 'An account failed to log on',
  host: { name: 'dc-1' },
  event: { action: 'logon-failed', type: 'authentication' },
  'winlog.event_id': 4625,
};

describe('indexerDocument', () => {
  it("ElastAlert 2's documented example: fields from the match, custom fields, unmatched names dropped", () => {
    const config = {
      message: 'message',
      'host.name': 'host.name',
      'event.action': 'event.action',
      'winlog.event_id': 'winlog.event_id',
      'winlog.task': 'winlog.task',
      customFields: [
        { name: 'original_time', value: '@timestamp' },
        { name: 'severity', value: 'high' },
        { name: 'risk_score', value: 73 },
        { name: 'query', value: 'filter' },
      ],
    };
    const rule = { name: 'r', filter: [{ query: { query_string: { query: 'event.code:4625' } } }] };
    expect(indexerDocument(config, MATCH, rule, Date.UTC(2024, 4, 14, 3, 22, 0, 123))).toEqual({
      '@timestamp': '2024-05-14T03:22:00.123000Z',
      message: 'An account failed to log on',
      host: { name: 'dc-1' },
      event: { action: 'logon-failed' },
      winlog: { event_id: 4625 },
      customFields: {
        original_time: '2024-05-14T03:21:09Z',
        severity: 'high',
        risk_score: 73,
        query: 'event.code:4625',
      },
    });
  });

  it('rule options fill what the match lacks; nested config mappings are flattened and rebuilt', () => {
    expect(
      indexerDocument({ team: 'owner', nested: { a: 'event.type', b: 7 } }, MATCH, { owner: 'secops' }, 0),
    ).toEqual({
      '@timestamp': '1970-01-01T00:00:00.000000Z',
      team: 'secops',
      nested: { a: 'authentication', b: 7 },
    });
  });

  it('needs a connection and an index when the rule loads', () => {
    const problem = (options: Record<string, unknown>) => {
      try {
        indexerAlerter.create(
          { name: 'r', indexer_alert_config: { a: 'b' }, ...options },
          deps(captureLog()),
        );
      } catch (err) {
        return err instanceof OptionProblem ? `${err.option}: ${err.message}` : String(err);
      }
      return undefined;
    };
    expect(problem({})).toMatch(/^indexer_connection: or indexer_config is required/);
    expect(problem({ indexer_connection: { es_host: 'es' } })).toMatch(/indexer_alerts_name/);
    expect(problem({ indexer_connection: { es_host: 'es' }, indexer_alerts_name: 'alerts' })).toBeUndefined();
    const log = captureLog();
    indexerAlerter.create(
      { name: 'r', indexer_alert_config: { a: 'b' }, indexer_config: '/no/such/config.yaml' },
      deps(log),
    );
    expect(log.text()).toMatch(/cannot read \/no\/such\/config.yaml.*tries again/);
  });
});
