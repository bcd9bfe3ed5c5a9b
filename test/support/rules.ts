/** Rules many tests share. */

/** The corpus's crash loops: back-offs of a container that keeps failing. */
export const CRASHLOOP_QUERY = 'event.reason: BackOff AND event.message: "restarting failed container"';

/** Five back-offs of one pod within ten minutes, alerting once per pod per 30 minutes; `extra` adds or overrides options. */
export function crashloopRule(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'crashloop',
    type: 'frequency',
    index: 'eventrouter-*',
    num_events: 5,
    timeframe: { minutes: 10 },
    query_key: 'event.involvedObject.name.keyword',
    filter: [{ query_string: { query: CRASHLOOP_QUERY } }],
    realert: { minutes: 30 },
    alert: ['debug'],
    ...extra,
  };
}
