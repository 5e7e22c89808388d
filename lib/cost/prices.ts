/**
 * Prices the cost estimate needs beyond the instance-type catalog (lib/catalog), us-east-1, in USD.
 * Each carries where it comes from and the date it was recorded: prices drift, re-check before
 * quoting a bill. Instance prices come from the catalog (`PRICES.takenOn`).
 */
export interface DatedPrice {
  readonly usd: number;
  /** What the price is per, for humans: `per GB-second`, `per GB-month`. */
  readonly unit: string;
  readonly takenOn: string;
  readonly source: string;
}

/**
 * Not in the catalog's Price List snapshot: these figures are the public pricing pages' us-east-1
 * prices as published through 2025, recorded from memory of those pages and not re-checked against a
 * snapshot here. Treat them as approximate until someone verifies them.
 */
const RECORDED = '2025 (pricing page, not re-checked)';
const SAGEMAKER_PRICING = 'https://aws.amazon.com/sagemaker/pricing/ (us-east-1)';

export const OTHER_PRICES = Object.freeze({
  /** Serverless inference compute: $0.0000200 per second at 1024 MB, linear in memory. */
  serverlessPerGbSecond: { usd: 0.00002, unit: 'per GB-second of serverless inference', takenOn: RECORDED, source: SAGEMAKER_PRICING },
  /** Serverless inference data processing, in plus out. */
  serverlessPerGbProcessed: { usd: 0.016, unit: 'per GB processed (in + out) by serverless inference', takenOn: RECORDED, source: SAGEMAKER_PRICING },
  /** Feature Store online store, Standard tier. */
  featureStoreWritePerMillion: { usd: 1.25, unit: 'per million write request units (Feature Store, Standard online store)', takenOn: RECORDED, source: SAGEMAKER_PRICING },
  featureStoreReadPerMillion: { usd: 0.25, unit: 'per million read request units (Feature Store, Standard online store)', takenOn: RECORDED, source: SAGEMAKER_PRICING },
  featureStoreStoragePerGbMonth: { usd: 0.45, unit: 'per GB-month of online store data (Feature Store, Standard)', takenOn: RECORDED, source: SAGEMAKER_PRICING },
  /** Managed MLflow tracking servers, per hour by size. */
  mlflowSmallPerHour: { usd: 0.642, unit: 'per hour, MLflow tracking server Small', takenOn: RECORDED, source: SAGEMAKER_PRICING },
  mlflowMediumPerHour: { usd: 1.284, unit: 'per hour, MLflow tracking server Medium', takenOn: RECORDED, source: SAGEMAKER_PRICING },
  mlflowLargePerHour: { usd: 2.568, unit: 'per hour, MLflow tracking server Large', takenOn: RECORDED, source: SAGEMAKER_PRICING },
  /** S3 Standard storage, first 50 TB. */
  s3StandardPerGbMonth: { usd: 0.023, unit: 'per GB-month, S3 Standard (first 50 TB)', takenOn: RECORDED, source: 'https://aws.amazon.com/s3/pricing/ (us-east-1)' },
  /** A customer-managed KMS key (rotation included). */
  kmsKeyPerMonth: { usd: 1, unit: 'per customer-managed KMS key-month', takenOn: RECORDED, source: 'https://aws.amazon.com/kms/pricing/' },
  /** A standard-resolution CloudWatch metric alarm. */
  cloudWatchAlarmPerMonth: { usd: 0.1, unit: 'per standard-resolution alarm-month', takenOn: RECORDED, source: 'https://aws.amazon.com/cloudwatch/pricing/ (us-east-1)' },
  /** A CloudWatch dashboard beyond the free three per account. */
  cloudWatchDashboardPerMonth: { usd: 3, unit: 'per dashboard-month (beyond the 3 free per account)', takenOn: RECORDED, source: 'https://aws.amazon.com/cloudwatch/pricing/ (us-east-1)' },
} satisfies Record<string, DatedPrice>);

/** Hours in an average month (365 × 24 / 12), as AWS's calculator uses. */
export const HOURS_PER_MONTH = 730;
