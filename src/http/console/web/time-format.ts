/**
 * Times as people read them: in the chosen time zone (the console's setting, else the browser's)
 * and the chosen language, each with its UTC time on hover.
 */
import { h } from './dom.ts';
import { language } from './i18n.ts';

const TZ_KEY = 'esalert.tz';
let configured: string | null = null;

export const browserZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

/** console.timezone from the server; used when the person chose none. */
export function setConfiguredZone(zone: string | null): void {
  configured = zone;
}

export function zone(): string {
  return localStorage.getItem(TZ_KEY) ?? configured ?? browserZone();
}

export function setZone(z: string | null): void {
  if (z === null) localStorage.removeItem(TZ_KEY);
  else localStorage.setItem(TZ_KEY, z);
}

/** Zones to choose from: this browser's, the configured one, UTC, then every IANA zone. */
export function zones(): string[] {
  const all =
    (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone') ??
    [];
  return [...new Set([browserZone(), ...(configured ? [configured] : []), 'UTC', ...all])];
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
  const key = tz;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone: tz,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(key, f);
  }
  return f;
}

/** 2024-05-14 11:03:09 in the zone: one unambiguous form in both languages. */
export function formatTime(ms: number, tz = zone()): string {
  const p: Record<string, string> = {};
  for (const part of formatter(tz).formatToParts(ms)) p[part.type] = part.value;
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

export function utcText(ms: number): string {
  return `UTC ${new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z')}`;
}

/** A <time> showing the time in the chosen zone, with UTC on hover; an empty span for no time. */
export function timeEl(iso: string | null | undefined, cls?: string): HTMLElement {
  const ms = iso ? Date.parse(iso) : NaN;
  if (!Number.isFinite(ms)) return h('span', { class: cls ?? null }, iso ? String(iso) : '—');
  return h(
    'time',
    { datetime: new Date(ms).toISOString(), title: utcText(ms), class: cls ?? null },
    formatTime(ms),
  );
}

/** 1234 -> "1.2 s", 90000 -> "1m30s". */
export function durationText(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  const d = Math.floor(s / 86_400);
  const hh = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return (
    [d ? `${d}d` : '', hh ? `${hh}h` : '', m ? `${m}m` : '', sec && !d ? `${sec}s` : ''].join('') || '0s'
  );
}

/** "in 5 min" / "3 hr ago", in the chosen language. */
export function relative(iso: string | null | undefined, now = Date.now()): string {
  const ms = iso ? Date.parse(iso) : NaN;
  if (!Number.isFinite(ms)) return '';
  const diff = (ms - now) / 1000;
  const f = new Intl.RelativeTimeFormat(language(), { numeric: 'auto', style: 'short' });
  const abs = Math.abs(diff);
  if (abs < 60) return f.format(Math.round(diff), 'second');
  if (abs < 3600) return f.format(Math.round(diff / 60), 'minute');
  if (abs < 86_400) return f.format(Math.round(diff / 3600), 'hour');
  return f.format(Math.round(diff / 86_400), 'day');
}

/** An ISO 8601 UTC time typed or chosen in a form, or undefined when the field is empty or not a time. */
export function parseInputTime(value: string): number | undefined {
  const v = value.trim();
  if (!v) return undefined;
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? ms : undefined;
}

/** 2024-05-14T03:00:00Z (whole seconds). */
export const isoUtc = (ms: number) =>
  new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.000Z$/, 'Z');
