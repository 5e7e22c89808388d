import { runsPerMonth } from '../../../lib/cost';

describe('runsPerMonth', () => {
  it.each([
    ['rate(1 hour)', 730],
    ['rate(30 minutes)', 1460],
    ['rate(1 day)', 730 / 24],
    ['rate(7 days)', 730 / 168],
    ['at(2026-12-01T00:00:00)', 0],
  ])('reads %s', (expression, runs) => {
    expect(runsPerMonth(expression)).toBeCloseTo(runs, 6);
  });

  it.each([
    ['cron(0 * ? * * *)', 730], // hourly, the SageMaker monitoring form
    ['cron(0 2 * * ? *)', 730 / 24], // daily
    ['cron(0 2 ? * MON-FRI *)', 5 * (730 / 24 / 7)], // weekdays
    ['cron(0/15 * * * ? *)', 4 * 730], // every 15 minutes
    ['cron(0 0 1 * ? *)', 1], // monthly
    ['cron(0 0 1,15 * ? *)', 2],
    ['cron(0 3 L * ? *)', 1], // last day of the month
    ['cron(0 0 1 JAN,JUL ? *)', 2 / 12], // twice a year
  ])('reads %s', (expression, runs) => {
    expect(runsPerMonth(expression)).toBeCloseTo(runs, 6);
  });

  it.each([
    ['every day', "expected 'rate(n unit)'"],
    ['cron(0 2 * * MON *)', "'?' in exactly one of day-of-month and day-of-week"],
    ['cron(0 25 * * ? *)', "the hours field has '25' (expected 0-23)"],
    ['cron(0 * *)', '6 fields'],
    ['rate(0 hours)', 'at least 1'],
  ])('rejects %s', (expression, message) => {
    expect(() => runsPerMonth(expression)).toThrow(message);
  });
});

describe('runsPerMonth on the L and # days', () => {
  it('counts a last weekday of the month once a month, not once a week', () => {
    expect(runsPerMonth('cron(0 3 ? * 6L *)')).toBeCloseTo(1, 6);
    expect(runsPerMonth('cron(0 3 ? * 2#1,6L *)')).toBeCloseTo(2, 6);
  });
});
