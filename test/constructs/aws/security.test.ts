import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AccessLogsBucket } from '../../../constructs/aws';
import { ACCOUNT, REGION } from './helpers';

/** S3's limit on a bucket policy's size. */
const BUCKET_POLICY_MAX_BYTES = 20 * 1024;

describe('AccessLogsBucket', () => {
  const SOURCES = 220;
  let policy: { Statement: Record<string, unknown>[] };

  beforeAll(() => {
    // As cdk.json sets it: log delivery is granted by bucket policy, not by ACL.
    const app = new App({ context: { '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true, '@aws-cdk/aws-iam:minimizePolicies': true } });
    const env = { account: ACCOUNT, region: REGION };
    const shared = new Stack(app, 'Shared', { env });
    const logs = new AccessLogsBucket(shared, 'Logs');
    // Buckets in the same stack and in other stacks, each logging under a prefix of its own.
    new s3.Bucket(shared, 'Local', { serverAccessLogsBucket: logs, serverAccessLogsPrefix: 'local/' });
    const other = new Stack(app, 'Models', { env });
    for (let i = 0; i < SOURCES; i++) new s3.Bucket(other, `Source${i}`, { serverAccessLogsBucket: logs, serverAccessLogsPrefix: `datacapture/model-number-${i}-endpoint-0123ABCD/` });
    const [resource] = Object.values(Template.fromStack(shared).findResources('AWS::S3::BucketPolicy'));
    policy = resource.Properties.PolicyDocument;
  });

  it(`stays under S3's 20 KB bucket policy limit with ${SOURCES} buckets logging to it`, () => {
    expect(JSON.stringify(policy).length).toBeLessThan(BUCKET_POLICY_MAX_BYTES);
  });

  it('lets the logging service write for buckets of its own account only, in one statement', () => {
    const delivery = policy.Statement.filter((s) => JSON.stringify(s.Principal).includes('logging.s3.amazonaws.com'));
    expect(delivery).toEqual([{
      Sid: 'S3ServerAccessLogDelivery',
      Effect: 'Allow',
      Principal: { Service: 'logging.s3.amazonaws.com' },
      Action: 's3:PutObject',
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^Logs/), 'Arn'] }, '/*']] },
      Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
    }]);
  });
});
