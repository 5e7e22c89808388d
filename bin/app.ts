#!/usr/bin/env node
/** cdk.json's app: the reference platform on AWS, for `npx cdk synth` and `npx cdk deploy`. */
import { App } from 'aws-cdk-lib';
import { AwsPlatform } from '../stacks/aws/platform';
import { addCompliancePacks } from '../stacks/aws/compliance';
import { loadPlatformSpec } from '../lib/spec';
import { markOutputDir } from '../lib/output-dir';
import { referencePlatform } from '../stacks/reference-platform';

const app = new App();
// `cdk deploy -c spec=platform.yaml` deploys your own platform instead of the reference one.
const specFile = app.node.tryGetContext('spec') as string | undefined;
new AwsPlatform(app, 'Platform', { spec: specFile ? loadPlatformSpec(specFile) : referencePlatform });
addCompliancePacks(app);
app.synth();
// The CDK CLI's cdk.out is this app's output: `mlops synth` may replace it.
markOutputDir(app.outdir, { contents: 'a cloud assembly' });
