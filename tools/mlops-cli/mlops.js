#!/usr/bin/env node
// `npx mlops` in a clone of cdk-mlops: the command line from its sources (bin/mlops.ts), through tsx,
// so it never runs a stale dist/. The published package's bin is dist/bin/mlops.js.
'use strict';
const path = require('path');
require('tsx/cjs/api').register();
const { main } = require(path.join(__dirname, '..', '..', 'bin', 'mlops.ts'));
main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
