/** OURS: the platform rendered by our constructs, as `mlops synth` does it, minus the cdk-nag compliance packs. */
import { App } from 'aws-cdk-lib';
import { AwsPlatform } from '../stacks/aws/platform';
import { benchPlatform } from './platform-spec';

export function build(app: App, n: number): void {
  new AwsPlatform(app, 'Platform', { spec: benchPlatform(n) });
}
