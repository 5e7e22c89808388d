/**
 * The spec's schedule expressions (read by lib/schedule.ts) translated to the five-field cron of
 * Kubernetes CronJobs and Argo CronWorkflows, when the translation is exact.
 *
 * Standard cron has no year field, no '?', and none of the L, W and # extensions, and numbers days of
 * the week 0-6 from Sunday (EventBridge: 1-7); the output is numeric only, as Argo's CronWorkflow
 * schema requires. A rate runs every n units from when the rule is created; cron can only express
 * rates that divide the next unit.
 */
import { CronItem, parseSchedule, RateUnit, Schedule, ScheduleError } from '../../../lib/schedule';

/** The translation, or why there is none (for an MlopsValidationError naming the field). */
export type CronTranslation = { readonly cron: string } | { readonly error: string; readonly expected: string };

export function toKubernetesCron(expression: string): CronTranslation {
  let schedule: Schedule;
  try {
    schedule = parseSchedule(expression);
  } catch (e) {
    if (!(e instanceof ScheduleError)) throw e;
    return { error: e.reason, expected: e.expected };
  }
  if (schedule.kind === 'rate') return fromRate(schedule.value, schedule.unit);
  if (schedule.kind === 'at') return { error: 'is a one-time schedule, which a CronWorkflow cannot express', expected: "'rate(n unit)' or 'cron(...)'" };
  const { fields, items } = schedule;
  if (fields.year !== '*') return { error: `restricts the year ('${fields.year}'), which Kubernetes cron cannot`, expected: "'*' as the year field" };
  const special = (['dayOfMonth', 'dayOfWeek'] as const).find((name) => items[name].some((item) => 'special' in item));
  if (special) {
    const label = special === 'dayOfMonth' ? 'day-of-month' : 'day-of-week';
    return { error: `uses ${label} '${fields[special]}' (L, W or #), which Kubernetes cron cannot express`, expected: 'plain values, ranges, lists and steps' };
  }
  return {
    cron: [
      fields.minutes,
      fields.hours,
      fields.dayOfMonth === '?' ? '*' : fields.dayOfMonth,
      numeric(items.month, 0),
      fields.dayOfWeek === '?' ? '*' : numeric(items.dayOfWeek, -1),
    ].join(' '),
  };
}

/** A field's items written with numbers (names read, values shifted by `offset`). */
function numeric(items: readonly CronItem[], offset: number): string {
  return items.map((item) => {
    if ('any' in item) return '*';
    if ('special' in item) return item.special;
    const from = item.from === '*' ? '*' : String(item.from + offset);
    const to = item.to === undefined ? '' : `-${item.to + offset}`;
    return `${from}${to}${item.step === undefined ? '' : `/${item.step}`}`;
  }).join(',');
}

function fromRate(n: number, unit: RateUnit): CronTranslation {
  const inexact = (what: string): CronTranslation => ({ error: `runs every ${n} ${unit}s, which cron cannot express exactly`, expected: what });
  if (unit === 'minute') {
    if (n === 1) return { cron: '* * * * *' };
    if (60 % n === 0) return { cron: `*/${n} * * * *` };
    if (n % 60 === 0) return fromRate(n / 60, 'hour');
    return inexact('a number of minutes that divides 60, or whole hours');
  }
  if (unit === 'hour') {
    if (n === 1) return { cron: '0 * * * *' };
    if (24 % n === 0) return { cron: `0 */${n} * * *` };
    if (n % 24 === 0) return fromRate(n / 24, 'day');
    return inexact('a number of hours that divides 24, or whole days');
  }
  if (n === 1) return { cron: '0 0 * * *' };
  if (n === 7) return { cron: '0 0 * * 0' };
  return inexact('1 or 7 days (or a cron(...) expression)');
}
