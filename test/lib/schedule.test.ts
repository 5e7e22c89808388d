import { longestIntervalSeconds, parseSchedule, ScheduleError } from '../../lib/schedule';
import { thrownBy } from '../thrown';

const errorOf = (expression: string): ScheduleError => thrownBy(ScheduleError, () => parseSchedule(expression));

describe('parseSchedule', () => {
  it('reads a rate, its unit singular or plural', () => {
    expect(parseSchedule('rate(7 days)')).toEqual({ kind: 'rate', value: 7, unit: 'day' });
    expect(parseSchedule('rate(1 hour)')).toEqual({ kind: 'rate', value: 1, unit: 'hour' });
  });

  it('reads a one-time schedule', () => {
    expect(parseSchedule('at(2026-12-01T00:00:00)')).toEqual({ kind: 'at', time: '2026-12-01T00:00:00' });
  });

  it('reads the six cron fields, names as numbers', () => {
    const schedule = parseSchedule('cron(0/15 8-17 ? JAN,JUL MON-FRI *)');
    expect(schedule).toEqual({
      kind: 'cron',
      fields: { minutes: '0/15', hours: '8-17', dayOfMonth: '?', month: 'JAN,JUL', dayOfWeek: 'MON-FRI', year: '*' },
      items: {
        minutes: [{ from: 0, step: 15 }],
        hours: [{ from: 8, to: 17 }],
        dayOfMonth: [{ any: true }],
        month: [{ from: 1 }, { from: 7 }],
        dayOfWeek: [{ from: 2, to: 6 }],
        year: [{ any: true }],
      },
    });
  });

  it.each(['cron(0 3 L * ? *)', 'cron(0 3 LW * ? *)', 'cron(0 3 15W * ? *)', 'cron(0 3 ? * 6L *)', 'cron(0 3 ? * 3#2 *)', 'cron(0 3 ? * FRI#1 *)'])(
    'keeps the L, W and # days of %s as written', (expression) => {
      const schedule = parseSchedule(expression);
      if (schedule.kind !== 'cron') throw new Error('not a cron schedule');
      expect([...schedule.items.dayOfMonth, ...schedule.items.dayOfWeek]).toContainEqual({ special: expect.stringMatching(/[LW#]/) });
    });

  it.each([
    ['every day', 'it is not a schedule expression'],
    ['rate(0 hours)', 'the rate is 0'],
    ['rate(5 weeks)', 'it is not a schedule expression'],
    ['cron(0 * *)', 'it has 3 cron field(s)'],
    ['cron(0 25 * * ? *)', "the hours field has '25'"],
    ['cron(60 1 * * ? *)', "the minutes field has '60'"],
    ['cron(0 1 32 * ? *)', "the day-of-month field has '32'"],
    ['cron(0 1 ? * 8 *)', "the day-of-week field has '8'"],
    ['cron(0 1 ? FOO * *)', "the month field has 'FOO'"],
    ['cron(0 1 ? * * 1969)', "the year field has '1969'"],
    ['cron(0/0 1 * * ? *)', "the minutes field has the step '0/0'"],
    ['cron(? 1 * * ? *)', "the minutes field has '?'"],
    ['cron(0 3 ? * 6W *)', "the day-of-week field has '6W'"],
  ])('refuses %s: %s', (expression, reason) => {
    expect(errorOf(expression).reason).toBe(reason);
  });

  it.each([
    ['cron(0 3 * * MON *)', "'*' and 'MON'"],
    ['cron(0 3 1 * MON *)', "'1' and 'MON'"],
    ['cron(0 3 ? * ? *)', "'?' and '?'"],
  ])('refuses %s, which does not put ? in exactly one day field (EventBridge refuses it at deploy)', (expression, days) => {
    const error = errorOf(expression);
    expect(error.reason).toBe(`the day fields are ${days}`);
    expect(error.expected).toBe("'?' in exactly one of day-of-month and day-of-week");
  });
});

describe('longestIntervalSeconds', () => {
  it('reads a rate as its period', () => {
    expect(longestIntervalSeconds('rate(90 minutes)')).toBe(5400);
    expect(longestIntervalSeconds('rate(1 day)')).toBe(86400);
  });

  it("gives Model Monitor's hourly and daily crons one hour and one day", () => {
    expect(longestIntervalSeconds('cron(0 * ? * * *)')).toBe(3600);
    expect(longestIntervalSeconds('cron(0 0 ? * * *)')).toBe(86400);
  });

  it('takes the longest gap of an uneven daily cron, across midnight', () => {
    // 06:00, 12:00, 18:00: the gap from 18:00 to the next 06:00 is 12 hours.
    expect(longestIntervalSeconds('cron(0 6-18/6 * * ? *)')).toBe(12 * 3600);
  });

  it('takes the longest gap of a weekly cron, across the week end', () => {
    // Monday to Friday at 08:00: Friday 08:00 to Monday 08:00 is three days.
    expect(longestIntervalSeconds('cron(0 8 ? * MON-FRI *)')).toBe(3 * 86400);
  });

  it('has no bound for calendar schedules and one-time runs', () => {
    expect(longestIntervalSeconds('cron(0 0 1 * ? *)')).toBeUndefined();
    expect(longestIntervalSeconds('cron(0 0 ? * 2#1 *)')).toBeUndefined();
    expect(longestIntervalSeconds('at(2027-01-01T00:00:00)')).toBeUndefined();
  });
});
