/**
 * EventBridge schedule expressions (`cron(...)`, `rate(...)`, the spec's form, in UTC) translated to
 * the five-field cron of Kubernetes CronJobs and Argo CronWorkflows, when the translation is exact.
 *
 * EventBridge cron has six fields (minutes hours day-of-month month day-of-week year), '?' for "any"
 * in one of the two day fields, day-of-week numbered 1-7 from SUNDAY, and the extensions L, W and #.
 * Standard cron has five fields and numbers days of the week 0-6 from Sunday; the output is numeric
 * only, as Argo's CronWorkflow schema requires. A rate runs every
 * n units from when the rule is created; cron can only express rates that divide the next unit.
 */

/** The translation, or why there is none (for an MlopsValidationError naming the field). */
export type CronTranslation = { readonly cron: string } | { readonly error: string; readonly expected: string };

const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

export function toKubernetesCron(expression: string): CronTranslation {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) return fromRate(Number(rate[1]), rate[2].replace(/s$/, ''));
  const cron = /^cron\((\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\)$/.exec(expression);
  if (!cron) return { error: 'is not an EventBridge schedule expression', expected: "'rate(n unit)' or 'cron(min hour day month weekday year)'" };
  const [, minute, hour, dom, month, dow, year] = cron;
  if (year !== '*') return { error: `restricts the year ('${year}'), which Kubernetes cron cannot`, expected: "'*' as the year field" };
  for (const [field, value] of [['minutes', minute], ['hours', hour], ['day-of-month', dom], ['month', month], ['day-of-week', dow]] as const) {
    if (/[LW#]/.test(value.replace(/\b(JUL|JUN|APR|AUG|SEP|OCT|NOV|DEC|JAN|FEB|MAR|MAY|MON|TUE|WED|THU|FRI|SAT|SUN)\b/gi, ''))) {
      return { error: `uses ${field} '${value}' (L, W or #), which Kubernetes cron cannot express`, expected: 'plain values, ranges, lists and steps' };
    }
  }
  const weekday = dow === '?' ? '*' : translateWeekdays(dow);
  if (weekday === undefined) return { error: `has a day-of-week '${dow}' that cannot be translated`, expected: "1-7 (SUN-SAT), names such as 'MON', ranges, lists or '*'" };
  const months = month.toUpperCase().replace(/[A-Z]{3}/g, (m) => (MONTH_NAMES.includes(m) ? String(MONTH_NAMES.indexOf(m) + 1) : m));
  if (/[A-Z]/.test(months)) return { error: `has a month '${month}' that cannot be translated`, expected: "1-12 or names such as 'JAN'" };
  return { cron: [minute, hour, dom === '?' ? '*' : dom, months, weekday].join(' ') };
}

function fromRate(n: number, unit: string): CronTranslation {
  const inexact = (what: string): CronTranslation => ({ error: `runs every ${n} ${unit}s, which cron cannot express exactly`, expected: what });
  if (n < 1) return { error: 'has a rate of 0', expected: 'a positive rate' };
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
  return inexact("1 or 7 days (or a cron(...) expression)");
}

/** EventBridge day-of-week (1-7 from Sunday, or names) → standard cron (0-6 from Sunday; numbers, as Argo's schema accepts no names). */
function translateWeekdays(field: string): string | undefined {
  if (field === '*') return '*';
  const parts = field.split(',').map((part) => {
    const [range, step] = part.split('/');
    const bounds = range.split('-').map((d) => {
      if (/^\d$/.test(d) && Number(d) >= 1 && Number(d) <= 7) return String(Number(d) - 1);
      if (DAY_NAMES.includes(d.toUpperCase())) return String(DAY_NAMES.indexOf(d.toUpperCase()));
      if (d === '*' && range === '*') return '*';
      return undefined;
    });
    if (bounds.some((b) => b === undefined) || bounds.length > 2) return undefined;
    if (step !== undefined && !/^\d+$/.test(step)) return undefined;
    return bounds.join('-') + (step !== undefined ? `/${step}` : '');
  });
  return parts.some((p) => p === undefined) ? undefined : parts.join(',');
}
