import { HearthError } from '../../errors.js';

/**
 * `sendAt` rules: an absolute time (ISO-8601 with `Z` or an offset) must not be in the past (one
 * minute of clock skew allowed) nor more than a year ahead. With `localTime` it is a wall-clock
 * time without offset (`2026-12-24T09:00`) read in each installation's time zone (UTC when it
 * has none): refused only when it has passed everywhere (the last zone, UTC-12); installations
 * whose zone is past it get it at once.
 */
const LOCAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;
const ABSOLUTE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;
const YEAR_MS = 366 * 86_400_000;
const SKEW_MS = 60_000;

const badSendAt = (message: string) =>
  new HearthError('validation_failed', 'One or more fields are invalid.', { fields: { sendAt: message } });

/** The zone's offset from UTC (ms) at instant `t`. */
export function zoneOffset(t: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(t));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(t / 1000) * 1000;
}

/** The instant a wall-clock time (`YYYY-MM-DDTHH:mm[:ss]`) happens in `timeZone`. */
export function wallClockToInstant(local: string, timeZone: string): number {
  const m = LOCAL.exec(local);
  if (!m) throw badSendAt('must be a local time such as 2026-12-24T09:00 (no offset) with localTime');
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  const guess = Date.UTC(y!, mo! - 1, d!, h!, mi!, s || 0);
  const first = guess - zoneOffset(guess, timeZone);
  return guess - zoneOffset(first, timeZone);
}

/** Checks `sendAt`; returns the absolute instant (ms), or for local times the latest one (UTC-12). */
export function checkSendAt(sendAt: string, localTime: boolean, now: number): number {
  let latest: number;
  if (localTime) {
    latest = wallClockToInstant(sendAt, 'Etc/GMT+12');
  } else {
    if (!ABSOLUTE.test(sendAt) || Number.isNaN(Date.parse(sendAt))) {
      throw badSendAt('must be an ISO-8601 time with Z or an offset (or a local time with localTime: true)');
    }
    latest = Date.parse(sendAt);
  }
  if (Number.isNaN(latest)) throw badSendAt('is not a valid time');
  if (latest < now - SKEW_MS) throw badSendAt('is in the past');
  if (latest > now + YEAR_MS) throw badSendAt('is more than a year ahead');
  return latest;
}
