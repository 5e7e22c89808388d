/**
 * How often a schedule fires in an average month: EventBridge / EventBridge Scheduler / SageMaker
 * expressions `rate(value unit)`, `cron(minutes hours day-of-month month day-of-week [year])` and
 * one-time `at(...)`.
 */
import { HOURS_PER_MONTH } from './prices';

const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;
const WEEKS_PER_MONTH = DAYS_PER_MONTH / 7;
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

export class ScheduleError extends Error {
  constructor(expression: string, why: string) {
    super(`cannot read schedule '${expression}': ${why}`);
    this.name = 'ScheduleError';
  }
}

/** The number of values a cron field selects, from `min..max` (names allowed for months and weekdays). */
function countField(field: string, min: number, max: number, names: readonly string[] | undefined, nameBase: number, expression: string): number {
  if (field === '*' || field === '?') return max - min + 1;
  const values = new Set<number>();
  const value = (s: string): number => {
    const byName = names?.indexOf(s.toUpperCase().slice(0, 3)) ?? -1;
    const n = byName >= 0 && /^[a-z]{3}$/i.test(s) ? byName + nameBase : Number(s);
    if (!Number.isInteger(n) || n < min || n > max) throw new ScheduleError(expression, `'${s}' is outside ${min}-${max}`);
    return n;
  };
  for (const part of field.split(',')) {
    // L, W and # (last day, nearest weekday, nth weekday) select one day each.
    if (/[LW#]/i.test(part)) {
      values.add(-values.size - 1);
      continue;
    }
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new ScheduleError(expression, `bad step in '${part}'`);
    let from: number;
    let to: number;
    if (range === '*') {
      from = min;
      to = max;
    } else if (range.includes('-')) {
      const [a, b] = range.split('-');
      from = value(a);
      to = value(b);
    } else {
      from = value(range);
      to = stepText === undefined ? from : max;
    }
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return values.size;
}

/** Runs per average month (730 hours); 0 for a one-time `at(...)` schedule. */
export function runsPerMonth(expression: string): number {
  const text = expression.trim();
  const rate = /^rate\(\s*(\d+)\s+(minutes?|hours?|days?)\s*\)$/i.exec(text);
  if (rate) {
    const n = Number(rate[1]);
    if (n < 1) throw new ScheduleError(text, 'the rate must be at least 1');
    const unit = rate[2].toLowerCase();
    const hours = unit.startsWith('minute') ? n / 60 : unit.startsWith('hour') ? n : n * 24;
    return HOURS_PER_MONTH / hours;
  }
  if (/^at\(.*\)$/i.test(text)) return 0;
  const cron = /^cron\((.*)\)$/i.exec(text);
  if (!cron) throw new ScheduleError(text, "expected 'rate(n unit)', 'cron(...)' or 'at(...)'");
  const fields = cron[1].trim().split(/\s+/);
  if (fields.length !== 6 && fields.length !== 5) throw new ScheduleError(text, `expected 6 fields (minutes hours day-of-month month day-of-week year), got ${fields.length}`);
  const [minutes, hours, dom, month, dow] = fields;
  const perDay = countField(minutes, 0, 59, undefined, 0, text) * countField(hours, 0, 23, undefined, 0, text);
  const months = countField(month, 1, 12, MONTHS, 1, text) / 12;
  let days: number;
  const anyDom = dom === '*' || dom === '?';
  const anyDow = dow === '*' || dow === '?';
  if (anyDom && anyDow) days = DAYS_PER_MONTH;
  else if (!anyDom) days = countField(dom, 1, 31, undefined, 0, text);
  else days = /#/.test(dow) ? dow.split(',').length : countField(dow, 1, 7, WEEKDAYS, 1, text) * WEEKS_PER_MONTH;
  return perDay * days * months;
}
