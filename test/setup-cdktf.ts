/**
 * cdktf's jest matchers (toHaveResourceWithProperties, ...) for the Kubernetes tests, and their types.
 * Every test file runs this, and most never call them: each matcher loads cdktf's jest adapter on
 * its first call (loading it up front cost every test file about half a second of CPU).
 */
type Adapter = typeof import('cdktf/lib/testing/adapters/jest');

/** cdktf's own matchers, as its `Testing.setupJest()` registers them. */
const MATCHERS = [
  'toHaveResource', 'toHaveResourceWithProperties', 'toHaveDataSource', 'toHaveDataSourceWithProperties',
  'toHaveProvider', 'toHaveProviderWithProperties', 'toBeValidTerraform', 'toPlanSuccessfully',
] as const;

let cdktfMatchers: Record<string, jest.CustomMatcher> | undefined;

/** The functions cdktf's adapter hands to `expect.extend`, captured rather than registered. */
function loadCdktfMatchers(): Record<string, jest.CustomMatcher> {
  if (cdktfMatchers) return cdktfMatchers;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, see above
  const { setupJest } = require('cdktf/lib/testing/adapters/jest') as Adapter;
  const extend = expect.extend.bind(expect);
  let captured: Record<string, jest.CustomMatcher> = {};
  expect.extend = (matchers) => { captured = matchers as typeof captured; };
  try {
    setupJest();
  } finally {
    expect.extend = extend;
  }
  cdktfMatchers = captured;
  return captured;
}

expect.extend(Object.fromEntries(MATCHERS.map((name) => [name, function (this: jest.MatcherContext, received: unknown, ...args: unknown[]) {
  const matcher = loadCdktfMatchers()[name];
  if (!matcher) throw new Error(`cdktf's jest adapter has no matcher ${name}`);
  return matcher.call(this, received, ...args);
}])));
