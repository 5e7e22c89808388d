/**
 * `mlops init`: a starting project in an empty folder, for a platform team's own repository: the
 * spec (with its JSON Schema for editors), the CDK app that renders it with the compliance packs,
 * package.json scripts pinned to the versions this package is built with, and a GitHub Actions
 * workflow (validate → synth → audit → audit diff against the base branch → cost → deploy through
 * an OIDC role). It never overwrites anything: a folder that is not empty is refused.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Command, Option } from 'commander';
import { CommandError } from './exit';

export type InitTarget = 'aws' | 'kubernetes' | 'all';

export interface InitOptions {
  readonly target: InitTarget;
  /** The dependency spec of cdk-mlops in the new package.json (a version, a git URL or a tarball path). */
  readonly cdkMlops?: string;
}

interface OwnPackage {
  readonly name: string;
  readonly version: string;
  readonly dependencies: Record<string, string>;
  readonly devDependencies: Record<string, string>;
}

/** This package's package.json: beside bin/ in a clone, two folders above dist/bin/commands when installed. */
function ownPackage(): OwnPackage {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as OwnPackage;
      if (pkg.name === 'cdk-mlops') return pkg;
    }
    if (path.dirname(dir) === dir) throw new Error("cdk-mlops' package.json not found above " + __dirname);
  }
}

/** The folder name as a platform name: a letter, then letters, digits and hyphens. */
function platformName(dir: string): string {
  const name = path.basename(path.resolve(dir)).toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^[^a-z]+/, '').replace(/-+$/, '').slice(0, 40);
  return name || 'ml-platform';
}

const SCHEMA_LINE = '# yaml-language-server: $schema=./node_modules/cdk-mlops/schemas/platform-spec.schema.json';

function platformYaml(name: string, target: InitTarget): string {
  const aws = target !== 'kubernetes';
  const kubernetes = target !== 'aws';
  return [
    SCHEMA_LINE,
    '#',
    `# The platform, rendered on ${target === 'all' ? 'AWS (CloudFormation) and Kubernetes (Terraform JSON)' : target === 'aws' ? 'AWS (CloudFormation)' : 'Kubernetes (Terraform JSON)'}`,
    '# by `npm run synth`. Every field is described in the schema above (hover in your editor) and in',
    "# cdk-mlops' README. Replace the image, the artifact and the tags with yours.",
    `name: ${name}`,
    ...(target === 'all' ? ['targets: [aws, kubernetes]'] : []),
    ...(aws ? ['aws:', '  region: us-east-1', '  alarmEmails: [ml-oncall@example.com]'] : []),
    ...(kubernetes ? ['kubernetes:', `  namespace: ${name}`] : []),
    'tags: { owner: ml-platform, cost-center: cc-0000 }',
    'models:',
    '  - name: churn',
    '    description: Customer churn classifier (XGBoost)',
    '    source:',
    '      image: 683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1',
    '      modelDataUrl: s3://my-models-us-east-1/churn/model.tar.gz',
    '    endpoint:',
    '      compute: { instanceType: ml.m5.large }',
    '      scaling: { minInstances: 1, maxInstances: 2 }',
    ...(kubernetes ? ['      kubernetes: { image: ghcr.io/acme/churn-xgboost:1.7-1 }   # the SageMaker serving contract: /ping and /invocations on 8080'] : []),
    '',
  ].join('\n');
}

const APP_TS = `/**
 * The CDK app (cdk.json's app): the platform in platform.yaml on AWS, checked by cdk-mlops' compliance
 * packs (AWS Solutions, NIST 800-53 R5, HIPAA Security and MLOps) on every synth.
 */
import { App } from 'aws-cdk-lib';
import { loadPlatformSpec } from 'cdk-mlops';
import { addCompliancePacks, AwsPlatform } from 'cdk-mlops/aws';

const app = new App();
new AwsPlatform(app, 'Platform', { spec: loadPlatformSpec(process.env.MLOPS_SPEC ?? 'platform.yaml') });
addCompliancePacks(app);
app.synth();
`;

const CDK_JSON = `${JSON.stringify({
  app: 'npx tsx bin/app.ts',
  watch: { include: ['bin/**', 'platform.yaml'] },
  context: {
    '@aws-cdk/aws-iam:minimizePolicies': true,
    '@aws-cdk/core:target-partitions': ['aws'],
    '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
  },
}, null, 2)}\n`;

function packageJson(name: string, target: InitTarget, own: OwnPackage, cdkMlops: string): string {
  const aws = target !== 'kubernetes';
  const scripts: Record<string, string> = {
    validate: 'mlops validate --config platform.yaml',
    synth: 'mlops synth --config platform.yaml',
    ...(aws ? {
      audit: 'mlops audit',
      cost: 'mlops cost',
      typecheck: 'tsc --noEmit -p .',
      deploy: 'cdk deploy --all --app cdk.out',
      cdk: 'cdk',
    } : {}),
  };
  const pkg = {
    name,
    version: '0.1.0',
    private: true,
    scripts,
    dependencies: {
      'cdk-mlops': cdkMlops,
      ...(aws ? { 'aws-cdk-lib': own.dependencies['aws-cdk-lib'], constructs: own.dependencies.constructs } : {}),
    },
    devDependencies: aws ? {
      'aws-cdk': own.devDependencies['aws-cdk'],
      '@types/node': own.devDependencies['@types/node'],
      tsx: own.devDependencies.tsx,
      typescript: own.devDependencies.typescript,
    } : {},
    engines: { node: '>=20' },
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

const TSCONFIG = `${JSON.stringify({
  compilerOptions: {
    target: 'ES2022',
    module: 'node16',
    moduleResolution: 'node16',
    lib: ['ES2022'],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
  },
  include: ['bin/**/*.ts'],
}, null, 2)}\n`;

function readme(name: string, target: InitTarget): string {
  const aws = target !== 'kubernetes';
  return [
    `# ${name}`,
    '',
    'An ML platform described in `platform.yaml` and rendered by [cdk-mlops](https://www.npmjs.com/package/cdk-mlops).',
    '',
    '```sh',
    'npm install',
    'npm run validate        # the spec only: every problem with its path and line',
    `npm run synth           # ${aws ? 'cdk.out/ (compliance packs, audit report in cdk.out/audit/)' : ''}${target === 'all' ? ' and ' : ''}${target !== 'aws' ? 'cdktf.out/ (Terraform JSON)' : ''}`,
    ...(aws ? [
      'npm run cost -- --budget 5000',
      'npm run deploy          # AWS credentials of the target account; bootstrap it once: npx cdk bootstrap',
    ] : []),
    '```',
    '',
    'CI (`.github/workflows/mlops.yml`) runs the same on every pull request' + (aws ? ', adds `mlops audit diff` against the' : '') + (aws ? ' base branch (exit 1 when a change widens access or can lose data), and deploys `main` through an OIDC role:' : ', and applies `main` to the cluster through an OIDC role:'),
    '',
    ...(aws ? [
      '1. In the target account, an IAM OIDC identity provider for `token.actions.githubusercontent.com` and a',
      '   deploy role that trusts it for this repository (`repo:<owner>/<repo>:environment:production`) and may',
      '   assume the CDK bootstrap roles (`cdk-*-deploy-role-*`, `cdk-*-file-publishing-role-*`).',
      '2. The role ARN as the repository variable `AWS_DEPLOY_ROLE_ARN`, the region as `AWS_REGION`.',
    ] : []),
    ...(target !== 'aws' ? [
      `${aws ? '3' : '1'}. For the cluster (EKS): a role the workflow assumes the same way, mapped to a Kubernetes identity that`,
      `   may manage the \`${name}\` namespace; its ARN as \`K8S_DEPLOY_ROLE_ARN\`, the cluster name as \`EKS_CLUSTER_NAME\`.`,
    ] : []),
    '',
  ].join('\n');
}

/** The GitHub Actions workflow: every pull request is checked; main is deployed through an OIDC role. */
function workflow(target: InitTarget): string {
  const aws = target !== 'kubernetes';
  const kubernetes = target !== 'aws';
  const setup = [
    '      - uses: actions/checkout@v4',
    '      - uses: actions/setup-node@v4',
    '        with: { node-version: 22, cache: npm }',
    '      - run: npm ci',
  ];
  const lines = [
    '# validate → synth → audit → audit diff against the base branch → cost → deploy (main only, through an OIDC role).',
    'name: mlops',
    'on:',
    '  pull_request:',
    '  push:',
    '    branches: [main]',
    'permissions:',
    '  contents: read',
    'jobs:',
    '  check:',
    '    runs-on: ubuntu-latest',
    '    steps:',
    ...setup,
    '      - name: Validate the spec',
    '        run: npx mlops validate --config platform.yaml',
    '      - name: Synthesize (fails on any unacknowledged compliance finding)',
    '        run: npx mlops synth --config platform.yaml',
    ...(aws ? [
      '      - name: Audit report (fails on open findings or missing tags)',
      '        run: npx mlops audit',
      '      - name: Governance diff against the base branch (fails when access widens or data can be lost)',
      "        if: github.event_name == 'pull_request'",
      '        run: |',
      '          git fetch --depth 1 origin "$GITHUB_BASE_REF"',
      '          git worktree add ../base FETCH_HEAD',
      '          if [ -f ../base/platform.yaml ]; then',
      '            (cd ../base && npm ci && npx mlops synth --config platform.yaml --target aws --out ../base.out)',
      '            npx mlops audit diff ../base.out cdk.out',
      '          else',
      '            echo "no platform.yaml on $GITHUB_BASE_REF: nothing to compare"',
      '          fi',
      '      - name: Cost at max scale within budget',
      '        run: npx mlops cost --budget 5000',
      '      - uses: actions/upload-artifact@v4',
      '        with: { name: cdk.out, path: cdk.out, include-hidden-files: true }',
    ] : []),
    ...(kubernetes ? [
      '      - uses: actions/upload-artifact@v4',
      '        with: { name: cdktf.out, path: cdktf.out }',
    ] : []),
    '  deploy:',
    '    needs: check',
    "    if: github.event_name == 'push' && github.ref == 'refs/heads/main'",
    '    runs-on: ubuntu-latest',
    '    environment: production',
    '    permissions:',
    '      contents: read',
    '      id-token: write          # the OIDC token configure-aws-credentials exchanges for the role',
    '    steps:',
    ...setup,
    ...(aws ? [
      '      - uses: actions/download-artifact@v4',
      '        with: { name: cdk.out, path: cdk.out }',
      '      - uses: aws-actions/configure-aws-credentials@v4',
      '        with:',
      '          role-to-assume: ${{ vars.AWS_DEPLOY_ROLE_ARN }}',
      '          aws-region: ${{ vars.AWS_REGION }}',
      '      - name: Deploy what was checked (the synthesized cloud assembly)',
      '        run: npx cdk deploy --all --app cdk.out --require-approval never',
    ] : []),
    ...(kubernetes ? [
      '      - uses: actions/download-artifact@v4',
      '        with: { name: cdktf.out, path: cdktf.out }',
      '      - uses: aws-actions/configure-aws-credentials@v4',
      '        with:',
      '          role-to-assume: ${{ vars.K8S_DEPLOY_ROLE_ARN }}',
      '          aws-region: ${{ vars.AWS_REGION }}',
      '      - uses: hashicorp/setup-terraform@v3',
      '      - name: Apply the platform stack, then the CRD stack (state belongs in a remote backend)',
      '        run: |',
      '          aws eks update-kubeconfig --name "${{ vars.EKS_CLUSTER_NAME }}"',
      '          export KUBE_CONFIG_PATH=~/.kube/config',
      '          for stack in $(jq -r \'.stacks | keys[]\' cdktf.out/manifest.json | sort); do',
      '            terraform -chdir="cdktf.out/stacks/$stack" init -input=false',
      '            terraform -chdir="cdktf.out/stacks/$stack" apply -input=false -auto-approve',
      '          done',
    ] : []),
    '',
  ];
  return lines.join('\n');
}

/** The files of a new project, by path relative to its folder. */
export function initFiles(dir: string, options: InitOptions): Record<string, string> {
  const own = ownPackage();
  const name = platformName(dir);
  const aws = options.target !== 'kubernetes';
  return {
    'platform.yaml': platformYaml(name, options.target),
    'package.json': packageJson(name, options.target, own, options.cdkMlops ?? `^${own.version}`),
    ...(aws ? { 'cdk.json': CDK_JSON, 'bin/app.ts': APP_TS, 'tsconfig.json': TSCONFIG } : {}),
    'README.md': readme(name, options.target),
    '.gitignore': ['node_modules/', 'cdk.out/', 'cdktf.out/', ''].join('\n'),
    '.github/workflows/mlops.yml': workflow(options.target),
  };
}

/** Writes the project into `dir` (created when missing); refuses a folder that is not empty, and never overwrites a file. */
export function init(dir: string, options: InitOptions): string[] {
  if (fs.existsSync(dir)) {
    if (!fs.statSync(dir).isDirectory()) throw new CommandError(`${dir} is not a folder: mlops init writes a new project into an empty folder`, 2);
    const entries = fs.readdirSync(dir);
    if (entries.length > 0) throw new CommandError(`${dir} is not empty (${entries.length} entries): mlops init writes a new project only into an empty folder, and wrote nothing`, 2);
  }
  const files = initFiles(dir, options);
  for (const [file, text] of Object.entries(files)) {
    const target = path.join(dir, file);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    // 'wx': fails rather than overwrite, should anything appear meanwhile.
    fs.writeFileSync(target, text, { flag: 'wx' });
  }
  return Object.keys(files);
}

export function registerInit(program: Command, log: (s: string) => void): void {
  program.command('init')
    .description('Write a starting project into an empty folder: platform.yaml, the CDK app, package.json scripts, a GitHub Actions workflow')
    .argument('[dir]', 'the folder (created when missing; must be empty)', '.')
    .addOption(new Option('--target <target>', 'aws (CloudFormation), kubernetes (Terraform JSON) or all').choices(['aws', 'kubernetes', 'all']).default('aws'))
    .option('--cdk-mlops <spec>', "the cdk-mlops dependency in package.json: a version, a git URL or a tarball (default: this version, '^x.y.z')")
    .addHelpText('after', '\nExamples:\n  $ mlops init fraud-platform\n  $ mlops init --target all .\n  $ mlops init --target kubernetes --cdk-mlops ../cdk-mlops/cdk-mlops-0.1.0.tgz platform')
    .action((dir: string, opts: InitOptions) => {
      const written = init(dir, opts);
      log([`Wrote a project (target ${opts.target}) into ${dir}/:`, ...written.map((f) => `  ${f}`), '', `Next: cd ${dir} && npm install && npm run synth`].join('\n'));
    });
}
