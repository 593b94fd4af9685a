import { floor } from './math.ts';
/**
 * Calendar arithmetic on plain integers (days and seconds since 1970-01-01 UTC): faster than
 * `Date#toISOString` per row, and never touches the clock or the time zone.
 */

const SECONDS_PER_DAY = 86_400;
const MS_PER_DAY = SECONDS_PER_DAY * 1000;

const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));

function pad2(n: number): string {
  return TWO_DIGITS[n] as string;
}

function pad4(n: number): string {
  return n >= 0 && n < 10_000 ? String(n).padStart(4, '0') : String(n);
}

/**
 * The calendar date of a day number (Howard Hinnant's civil_from_days), packed as
 * year * 512 + month * 32 + day so the per-row path allocates nothing.
 */
export function civilPacked(day: number): number {
  const z = day + 719_468;
  const era = floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = floor((doe - floor(doe / 1460) + floor(doe / 36_524) - floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + floor(yoe / 4) - floor(yoe / 100));
  const mp = floor((5 * doy + 2) / 153);
  const d = doy - floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return (yoe + era * 400 + (m <= 2 ? 1 : 0)) * 512 + m * 32 + d;
}

/** 'YYYY-MM-DD' for a day number. */
export function formatDay(day: number): string {
  const packed = civilPacked(day);
  return `${pad4(floor(packed / 512))}-${pad2((packed >> 5) & 15)}-${pad2(packed & 31)}`;
}

/** 'YYYY-MM-DDTHH:MM:SSZ' for whole seconds since the epoch. */
export function formatSecond(second: number): string {
  const day = floor(second / SECONDS_PER_DAY);
  let rest = second - day * SECONDS_PER_DAY;
  const h = floor(rest / 3600);
  rest -= h * 3600;
  const m = floor(rest / 60);
  return `${formatDay(day)}T${pad2(h)}:${pad2(m)}:${pad2(rest - m * 60)}Z`;
}

/** Day number of an ISO date or date-time (its UTC calendar day). */
export function parseDay(iso: string): number {
  return floor(parseMs(iso) / MS_PER_DAY);
}

/** Whole seconds since the epoch of an ISO date ('YYYY-MM-DD' is midnight UTC) or date-time. */
export function parseSecond(iso: string): number {
  return floor(parseMs(iso) / 1000);
}

function parseMs(iso: string): number {
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(iso) ? `${iso}T00:00:00Z` : iso);
  if (Number.isNaN(ms)) throw new RangeError(`not an ISO date: ${iso}`);
  return ms;
}

/** True for a real calendar day in 'YYYY-MM-DD' form (rejects 2023-02-30, which Date.parse accepts). */
export function isCalendarDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const ms = Date.parse(`${text}T00:00:00Z`);
  return !Number.isNaN(ms) && formatDay(floor(ms / MS_PER_DAY)) === text;
}
