/**
 * How often a schedule fires in an average month, read with the one schedule parser
 * ({@link parseSchedule}): `rate(...)`, `cron(...)` and the one-time `at(...)`.
 */
import { CronItem, parseSchedule } from '../schedule';
import { HOURS_PER_MONTH } from './prices';

const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;
const WEEKS_PER_MONTH = DAYS_PER_MONTH / 7;
const HOURS_PER_UNIT = { minute: 1 / 60, hour: 1, day: 24 } as const;

/** The number of values a cron field's items select out of `min..max`; a special day (L, W, #) is one. */
function countValues(items: readonly CronItem[], min: number, max: number): number {
  const values = new Set<string>();
  for (const item of items) {
    if ('any' in item) return max - min + 1;
    if ('special' in item) {
      values.add(item.special);
      continue;
    }
    const from = item.from === '*' ? min : item.from;
    const to = item.to ?? (item.from === '*' || item.step !== undefined ? max : from);
    for (let v = from; v <= to; v += item.step ?? 1) values.add(String(v));
  }
  return values.size;
}

/** Runs per average month (730 hours); 0 for a one-time `at(...)` schedule. Throws a ScheduleError on an expression it cannot read. */
export function runsPerMonth(expression: string): number {
  const schedule = parseSchedule(expression.trim());
  if (schedule.kind === 'at') return 0;
  if (schedule.kind === 'rate') return HOURS_PER_MONTH / (schedule.value * HOURS_PER_UNIT[schedule.unit]);
  const { fields, items } = schedule;
  const perDay = countValues(items.minutes, 0, 59) * countValues(items.hours, 0, 23);
  const months = countValues(items.month, 1, 12) / 12;
  let days: number;
  if (fields.dayOfMonth !== '?') {
    days = fields.dayOfMonth === '*' ? DAYS_PER_MONTH : countValues(items.dayOfMonth, 1, 31);
  } else {
    // A weekday repeats every week; a special one (6L, 2#1) falls once a month.
    const specials = items.dayOfWeek.filter((item) => 'special' in item).length;
    const weekly = items.dayOfWeek.filter((item) => !('special' in item));
    days = specials + (weekly.length === 0 ? 0 : countValues(weekly, 1, 7) * WEEKS_PER_MONTH);
  }
  return perDay * days * months;
}
