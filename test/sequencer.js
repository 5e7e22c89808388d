/**
 * Runs the longest test files first, so that neither of the two workers is left with a long file at
 * the end. jest's own order does that only with the timings of a previous run on the same machine
 * (its cache); in a clean clone (CI) it orders by file size, which put the slowest files (the
 * 1,000-model limits, npm pack) last. Order: files that failed last time, then by the last run's
 * duration, else by the CPU seconds listed below (measured one file at a time), else by size.
 *
 * A test file that takes more than ~10 s of CPU belongs in SLOW (path from the repository root).
 */
const path = require('path');
const Sequencer = require('@jest/test-sequencer').default;

/** CPU seconds of the slowest files. */
const SLOW = {
  'test/package/pack.test.ts': 55,
  'test/stacks/aws/limits.test.ts': 50,
  'test/readme-commands.test.ts': 30,
  'test/stacks/kubernetes/platform.test.ts': 25,
  'test/bin/cli-safety.test.ts': 16,
  'test/examples.test.ts': 15,
  'test/readme.test.ts': 13,
  'test/bin/mlops.test.ts': 12,
  'test/stacks/compliance.test.ts': 10,
  'test/stacks/platform.test.ts': 8,
  'test/lib/spec/spec-types.test.ts': 7,
};

class LongestFirst extends Sequencer {
  sort(tests) {
    const estimate = (test) => {
      const measured = this.time(test);
      if (measured != null) return measured / 1000;
      const listed = SLOW[path.relative(test.context.config.rootDir, test.path).split(path.sep).join('/')];
      // A file of a thousand lines is a few seconds.
      return listed ?? (test.context.hasteFS.getSize(test.path) ?? 0) / 10_000;
    };
    for (const test of tests) test.duration = this.time(test);
    const seconds = new Map(tests.map((t) => [t, estimate(t)]));
    return [...tests].sort((a, b) => (Number(this.hasFailed(b)) - Number(this.hasFailed(a))) || (seconds.get(b) - seconds.get(a)));
  }
}

module.exports = LongestFirst;
