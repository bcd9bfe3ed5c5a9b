import { describe, expect, it } from 'vitest';
import { readErrorNotices } from '../../../src/config/error-notices-config.ts';

describe('notify_alert / notify_email in config.yaml', () => {
  it('neither set: no error notices', () => {
    expect(readErrorNotices({ notify_all_errors: true })).toEqual({ settings: undefined, problems: [] });
  });

  it('notify_email as one address or a list; notify_all_errors only when true', () => {
    expect(readErrorNotices({ notify_email: 'a@x' }).settings).toEqual({
      alerts: [],
      email: ['a@x'],
      allErrors: false,
    });
    expect(readErrorNotices({ notify_email: ['a@x', 'b@x'], notify_all_errors: true }).settings).toEqual({
      alerts: [],
      email: ['a@x', 'b@x'],
      allErrors: true,
    });
  });

  it("notify_alert names alerters as a rule's alert does, with inline options", () => {
    const { settings } = readErrorNotices({
      notify_alert: ['email', { post: { http_post_url: 'http://h' } }],
    });
    expect(settings?.alerts).toEqual([
      { name: 'email', options: {} },
      { name: 'post', options: { http_post_url: 'http://h' } },
    ]);
    expect(readErrorNotices({ notify_alert: 'slack' }).settings?.alerts).toEqual([
      { name: 'slack', options: {} },
    ]);
  });

  it('a notify_alert that names no alerter is a problem at its path', () => {
    expect(readErrorNotices({ notify_alert: 3 }).problems).toEqual([
      { path: ['notify_alert'], message: 'must name alerters, e.g. [email] or [slack]' },
    ]);
    expect(readErrorNotices({ notify_alert: ['email', 7] }).problems).toEqual([
      { path: ['notify_alert', 1], message: 'must be an alerter name, or {name: {options}}' },
    ]);
  });
});
