/**
 * Schedule expressions as EventBridge, EventBridge Scheduler and SageMaker Model Monitor read them
 * (the spec's form, in UTC): `rate(value unit)`, `cron(minutes hours day-of-month month day-of-week year)`
 * and the one-time `at(yyyy-mm-ddThh:mm:ss)`. The one parser the spec, the cost estimate and the
 * Kubernetes cron translation share.
 *
 * Cron fields, from EventBridge's reference ("Cron expressions"): minutes 0-59, hours 0-23,
 * day-of-month 1-31 (with `?`, `L`, `W`), month 1-12 or JAN-DEC, day-of-week 1-7 or SUN-SAT from
 * Sunday (with `?`, `L`, `#`), year 1970-2199; `,` lists, `-` ranges, `*` all, `/` steps. One of the two
 * day fields must be `?`: a value or `*` in one needs `?` in the other.
 */

export type RateUnit = 'minute' | 'hour' | 'day';

/** One item of a cron field's list: a value, a range or `*`, with an optional step. */
export interface CronRange {
  /** The first value (names read as numbers), or `'*'` for the whole field. */
  readonly from: number | '*';
  /** The last value of a range `from-to`. */
  readonly to?: number;
  /** The step of `from/step`, `from-to/step` or of `*` followed by a step. */
  readonly step?: number;
}

/** An item selecting one day by the `L`, `W` or `#` extensions (`L`, `15W`, `LW`, `6L`, `2#1`), as written. */
export interface CronSpecialDay {
  readonly special: string;
}

export type CronItem = CronRange | CronSpecialDay | { readonly any: true };

export const CRON_FIELDS = ['minutes', 'hours', 'dayOfMonth', 'month', 'dayOfWeek', 'year'] as const;
export type CronFieldName = (typeof CRON_FIELDS)[number];

export type Schedule =
  | { readonly kind: 'rate'; readonly value: number; readonly unit: RateUnit }
  | { readonly kind: 'cron'; readonly fields: Readonly<Record<CronFieldName, string>>; readonly items: Readonly<Record<CronFieldName, readonly CronItem[]>> }
  | { readonly kind: 'at'; readonly time: string };

export class ScheduleError extends Error {
  constructor(readonly expression: string, readonly reason: string, readonly expected: string) {
    super(`cannot read schedule '${expression}': ${reason} (expected ${expected})`);
    this.name = 'ScheduleError';
  }
}

/**
 * The shape of a recurring schedule (rate, or cron with six fields), for the spec's JSON Schema, where
 * editors check it; {@link parseSchedule} reads the fields.
 */
export const RECURRING_SCHEDULE_SHAPE = /^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(\S+ \S+ \S+ \S+ \S+ \S+\))$/;

export const SCHEDULE_EXPECTED = "'rate(n unit)' with unit minute(s), hour(s) or day(s), or 'cron(minutes hours day-of-month month day-of-week year)'";

interface FieldRule {
  readonly label: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** `?`: any, in one of the two day fields. */
  readonly question?: boolean;
  readonly special?: RegExp;
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const DAY = `([1-7]|${DAY_NAMES.join('|')})`;

const FIELD_RULES: Record<CronFieldName, FieldRule> = {
  minutes: { label: 'minutes', min: 0, max: 59 },
  hours: { label: 'hours', min: 0, max: 23 },
  dayOfMonth: { label: 'day-of-month', min: 1, max: 31, question: true, special: /^(L|LW|L-([1-9]|[12]\d|30)|([1-9]|[12]\d|3[01])W)$/i },
  month: { label: 'month', min: 1, max: 12, names: MONTH_NAMES },
  dayOfWeek: { label: 'day-of-week', min: 1, max: 7, names: DAY_NAMES, question: true, special: new RegExp(`^(L|${DAY}L|${DAY}#[1-5])$`, 'i') },
  year: { label: 'year', min: 1970, max: 2199 },
};

function parseValue(text: string, rule: FieldRule, expression: string): number {
  const byName = rule.names?.indexOf(text.toUpperCase()) ?? -1;
  const value = byName >= 0 ? byName + rule.min : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(value) || value < rule.min || value > rule.max) {
    const names = rule.names ? ` or ${rule.names[0]}-${rule.names[rule.names.length - 1]}` : '';
    throw new ScheduleError(expression, `the ${rule.label} field has '${text}'`, `${rule.min}-${rule.max}${names}`);
  }
  return value;
}

function parseItem(item: string, rule: FieldRule, expression: string): CronItem {
  if (item === '*') return { any: true };
  if (item === '?') {
    if (!rule.question) throw new ScheduleError(expression, `the ${rule.label} field has '?'`, "'?' only in day-of-month or day-of-week");
    return { any: true };
  }
  if (rule.special?.test(item)) return { special: item.toUpperCase() };
  const m = /^([^-/]+)(?:-([^-/]+))?(?:\/(\d+))?$/.exec(item);
  if (!m) throw new ScheduleError(expression, `the ${rule.label} field has '${item}'`, 'values, ranges a-b, lists a,b and steps a/n');
  const [, fromText, toText, stepText] = m;
  const step = stepText === undefined ? undefined : Number(stepText);
  if (step !== undefined && step < 1) throw new ScheduleError(expression, `the ${rule.label} field has the step '${item}'`, 'a step of at least 1');
  if (fromText === '*') {
    if (toText !== undefined) throw new ScheduleError(expression, `the ${rule.label} field has '${item}'`, "'*' or '*/n', never '*-n'");
    return { from: '*', step };
  }
  const from = parseValue(fromText, rule, expression);
  const to = toText === undefined ? undefined : parseValue(toText, rule, expression);
  return { from, to, step };
}

function parseCron(expression: string, body: string): Schedule {
  const texts = body.split(' ');
  if (texts.length !== CRON_FIELDS.length) {
    throw new ScheduleError(expression, `it has ${texts.length} cron field(s)`, '6 fields (minutes hours day-of-month month day-of-week year)');
  }
  const fields = Object.fromEntries(CRON_FIELDS.map((name, i) => [name, texts[i]])) as Record<CronFieldName, string>;
  const items = Object.fromEntries(CRON_FIELDS.map((name) => [
    name, fields[name].split(',').map((item) => parseItem(item, FIELD_RULES[name], expression)),
  ])) as Record<CronFieldName, CronItem[]>;
  if ((fields.dayOfMonth === '?') === (fields.dayOfWeek === '?')) {
    throw new ScheduleError(expression, `the day fields are '${fields.dayOfMonth}' and '${fields.dayOfWeek}'`, "'?' in exactly one of day-of-month and day-of-week");
  }
  return { kind: 'cron', fields, items };
}

/** The schedule an expression describes; a {@link ScheduleError} saying what is wrong otherwise. */
export function parseSchedule(expression: string): Schedule {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    if (value < 1) throw new ScheduleError(expression, `the rate is ${value}`, 'a rate of at least 1');
    return { kind: 'rate', value, unit: rate[2].replace(/s$/, '') as RateUnit };
  }
  const at = /^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$/.exec(expression);
  if (at) return { kind: 'at', time: at[1] };
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (cron) return parseCron(expression, cron[1]);
  throw new ScheduleError(expression, 'it is not a schedule expression', SCHEDULE_EXPECTED);
}

const SECONDS_PER_UNIT: Record<RateUnit, number> = { minute: 60, hour: 3600, day: 86400 };

/** The values `items` select out of `min..max`, or undefined when one of them is a special day (L, W, #). */
function expandItems(items: readonly CronItem[], min: number, max: number): number[] | undefined {
  const values = new Set<number>();
  for (const item of items) {
    if ('any' in item) return Array.from({ length: max - min + 1 }, (_, i) => min + i);
    if ('special' in item) return undefined;
    const from = item.from === '*' ? min : item.from;
    const to = item.to ?? (item.from === '*' || item.step !== undefined ? max : from);
    for (let v = from; v <= to; v += item.step ?? 1) values.add(v);
  }
  return [...values].sort((a, b) => a - b);
}

/** The longest gap between consecutive points of a cycle of `length`, given its sorted points. */
function longestCircularGap(points: readonly number[], length: number): number {
  return Math.max(...points.map((p, i) => (i + 1 < points.length ? points[i + 1] : points[0] + length) - p));
}

/**
 * The longest time, in seconds, between two consecutive runs of a recurring schedule: what an alarm
 * that expects one result per run must wait before it calls a schedule silent. Exact for rates and for
 * crons that repeat daily or weekly (any day of month, month and year; plain days of week); undefined
 * when the gap follows the calendar (days of month, months, years, `L`/`W`/`#`) or the schedule is a
 * one-time `at(...)`. Throws a {@link ScheduleError} on an expression it cannot read.
 */
export function longestIntervalSeconds(expression: string): number | undefined {
  const schedule = parseSchedule(expression.trim());
  if (schedule.kind === 'at') return undefined;
  if (schedule.kind === 'rate') return schedule.value * SECONDS_PER_UNIT[schedule.unit];
  const { fields, items } = schedule;
  if (fields.month !== '*' || fields.year !== '*') return undefined;
  const minutes = expandItems(items.minutes, 0, 59)!;
  const hours = expandItems(items.hours, 0, 23)!;
  const ofDay = hours.flatMap((h) => minutes.map((m) => h * 60 + m));
  const everyDay = fields.dayOfMonth === '*' || (fields.dayOfMonth === '?' && fields.dayOfWeek === '*');
  if (everyDay) return longestCircularGap(ofDay, 24 * 60) * 60;
  if (fields.dayOfMonth !== '?') return undefined;
  const days = expandItems(items.dayOfWeek, 1, 7);
  if (!days) return undefined;
  const ofWeek = days.flatMap((d) => ofDay.map((m) => (d - 1) * 24 * 60 + m));
  return longestCircularGap(ofWeek, 7 * 24 * 60) * 60;
}
