/**
 * serverless.yml, for real: `osls package` runs once (offline: CloudFormation dynamic references, no
 * `${ssm:…}` lookups) and the CloudFormation template it writes is checked; then the handler is bundled
 * with esbuild exactly as serverless.yml configures it and the bundle is run in a fresh Node process.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildOptions } from 'esbuild';
import { parse } from 'yaml';
import { bundleFunction } from '../../tools/bench/function-build.ts';
import { AWS_CALLS } from '../../adapters/aws/calls.ts';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');

type Resource = { Type: string; Properties: Record<string, any> };
let resources: Record<string, Resource>;
let outDir: string;

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'tide-sls-'));
  // Dummy credentials: packaging never calls AWS, but the provider wants some to be configured.
  await run('npx', ['osls', 'package', '--stage', 'ci', '--region', 'us-east-2', '--package', outDir], {
    cwd: root,
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'us-east-2',
      SLS_TELEMETRY_DISABLED: '1',
    },
    // Bounded like every test here (60 s); packaging took about 55 s on the loaded 2-core machine.
    timeout: 58_000,
  });
  const template = JSON.parse(await readFile(join(outDir, 'cloudformation-template-update-stack.json'), 'utf8'));
  resources = template.Resources;
}, 60_000);

afterAll(async () => {
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

describe('serverless.yml packaged by osls', () => {
  it('has the events function on Node 22 in shadow mode, Upstash settings resolved by CloudFormation from SSM', () => {
    const fn = resources.EventsLambdaFunction!.Properties;
    expect(fn).toMatchObject({
      Handler: 'functions/aws/handler.handler',
      Runtime: 'nodejs22.x',
      FunctionName: 'tide-ci-events',
    });
    expect(fn.Environment.Variables).toMatchObject({
      TIDE_MODE: 'shadow',
      UPSTASH_REDIS_REST_URL: '{{resolve:ssm:/tide/ci/upstash-redis-rest-url}}',
      UPSTASH_REDIS_REST_TOKEN: '{{resolve:ssm:/tide/ci/upstash-redis-rest-token}}',
    });
  });

  it('has one EventBridge rule per event kind, each targeting the function, and a one-minute tick', () => {
    const rules = ofType('AWS::Events::Rule').map(([, rule]) => rule.Properties);
    const detailTypes = rules.flatMap((rule) => rule.EventPattern?.['detail-type'] ?? []);
    expect(detailTypes.sort()).toEqual([
      'CloudWatch Alarm State Change',
      'EC2 Instance Rebalance Recommendation',
      'EC2 Spot Instance Interruption Warning',
      'SageMaker Training Job State Change',
    ]);
    const sources = Object.fromEntries(
      rules.filter((r) => r.EventPattern).map((r) => [r.EventPattern['detail-type'][0], r.EventPattern.source]),
    );
    expect(sources).toEqual({
      'CloudWatch Alarm State Change': ['aws.cloudwatch'],
      'EC2 Instance Rebalance Recommendation': ['aws.ec2'],
      'EC2 Spot Instance Interruption Warning': ['aws.ec2'],
      'SageMaker Training Job State Change': ['aws.sagemaker'],
    });
    expect(rules.filter((r) => r.ScheduleExpression)).toEqual([
      expect.objectContaining({ ScheduleExpression: 'rate(1 minute)', Name: 'tide-ci-tick' }),
    ]);
    for (const rule of rules) expect(rule.Targets[0].Arn).toEqual({ 'Fn::GetAtt': ['EventsLambdaFunction', 'Arn'] });
  });

  it('reads the events queue with partial batch responses, and the queue dead-letters to the DLQ', () => {
    const [[, mapping]] = ofType('AWS::Lambda::EventSourceMapping') as [[string, Resource]];
    expect(mapping.Properties).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': ['TideEventsQueue', 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 10,
    });
    expect(resources.TideEventsQueue!.Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': ['TideEventsDLQ', 'Arn'] },
      maxReceiveCount: 3,
    });
    expect(resources.TideEventsDLQ!.Type).toBe('AWS::SQS::Queue');
    // Asynchronous invocations (EventBridge) that fail every retry end up in the same DLQ.
    const [[, invokeConfig]] = ofType('AWS::Lambda::EventInvokeConfig') as [[string, Resource]];
    expect(invokeConfig.Properties.DestinationConfig.OnFailure.Destination).toEqual({
      'Fn::GetAtt': ['TideEventsDLQ', 'Arn'],
    });
  });

  it('serves the HTTP API from the api function behind an API Gateway HTTP API (payload 2.0, every route)', () => {
    const fn = resources.ApiLambdaFunction!.Properties;
    expect(fn.Handler).toBe('functions/aws/http.handler');
    expect(fn.Environment.Variables.TIDE_MODE).toBe(
      resources.EventsLambdaFunction!.Properties.Environment.Variables.TIDE_MODE,
    );
    const apis = ofType('AWS::ApiGatewayV2::Api');
    expect(apis.map(([, api]) => api.Properties.ProtocolType)).toEqual(['HTTP']);
    const routes = ofType('AWS::ApiGatewayV2::Route').map(([, route]) => route.Properties.RouteKey);
    expect(routes).toEqual(['$default']);
    const integrations = ofType('AWS::ApiGatewayV2::Integration');
    expect(integrations.map(([, integration]) => integration.Properties.PayloadFormatVersion)).toEqual(['2.0']);
  });

  it('grants its logs, its queues, and exactly the AWS calls the adapters make; changes only on tide:managed=true', () => {
    const statements = ofType('AWS::IAM::Role').flatMap(([, role]) =>
      (role.Properties.Policies ?? []).flatMap((policy: any) => policy.PolicyDocument.Statement as any[]),
    );
    const platform = new Set([
      'logs:CreateLogStream',
      'logs:CreateLogGroup',
      'logs:TagResource',
      'logs:PutLogEvents',
      'sqs:ReceiveMessage',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:SendMessage',
    ]);
    const actions = statements.flatMap((s) => [s.Action].flat() as string[]);
    expect(actions.filter((action) => !platform.has(action)).sort()).toEqual(Object.keys(AWS_CALLS).sort());
    expect(actions.filter((action) => action.includes('*'))).toEqual([]);
    for (const statement of statements) {
      const writes = ([statement.Action].flat() as string[]).filter((a) => AWS_CALLS[a as keyof typeof AWS_CALLS]);
      if (writes.length === 0) continue;
      // Every change names its resources; SageMaker and Auto Scaling changes need the tide:managed tag.
      expect([statement.Resource].flat()).not.toContain('*');
      if (writes.some((a) => /^(sagemaker|autoscaling):/.test(a))) {
        expect(JSON.stringify(statement.Condition)).toMatch(/(ResourceTag|RequestTag)\/tide:managed/);
      }
    }
    for (const statement of statements.filter((s) => [s.Action].flat().includes('sqs:SendMessage'))) {
      expect([statement.Resource].flat()).toEqual([{ 'Fn::GetAtt': ['TideEventsDLQ', 'Arn'] }]);
    }
    for (const statement of statements) expect(statement.Effect).toBe('Allow');
  });
});

describe('the handler bundled as serverless.yml configures esbuild', () => {
  const event = readFile(
    join(root, 'test/fixtures/events/aws/eventbridge-cloudwatch-alarm-single-metric.json'),
    'utf8',
  );

  async function bundleAndInvoke(
    banner: string | undefined,
    env: Record<string, string> = { TIDE_MODE: 'shadow' },
    overrides: BuildOptions = {},
  ) {
    const dir = await mkdtemp(join(tmpdir(), 'tide-bundle-'));
    try {
      // serverless.yml's esbuild settings as serverless-esbuild applies them (minified, split, source maps).
      const bundle = await bundleFunction(root, 'functions/aws/handler.ts', dir, {
        banner: banner === undefined ? {} : { js: banner },
        ...overrides,
      });
      await writeFile(join(dir, 'event.json'), await event);
      // A fresh process, as Lambda has: no vitest module loader in the way.
      const script = `const m = await import(${JSON.stringify(pathToFileURL(bundle.entryFile).href)});
const event = JSON.parse((await import('node:fs')).readFileSync(${JSON.stringify(join(dir, 'event.json'))}, 'utf8'));
const context = { getRemainingTimeInMillis: () => 30000, invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:tide' };
try { process.stdout.write('RESULT ' + JSON.stringify(await m.handler(event, context)) + '\\n'); }
catch (error) { process.stdout.write('THROWN ' + JSON.stringify(error.stack) + '\\n'); }`;
      return await run(process.execPath, ['--input-type=module', '-e', script], {
        env: { PATH: process.env.PATH ?? '', ...env },
        timeout: 30_000,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  const line = (stdout: string, tag: string) =>
    JSON.parse(
      stdout
        .split('\n')
        .find((text) => text.startsWith(`${tag} `))!
        .slice(tag.length + 1),
    );

  const banner = async () => {
    const config = parse(await readFile(join(root, 'serverless.yml'), 'utf8'), {
      customTags: [
        { tag: '!Ref', resolve: (value: string) => ({ Ref: value }) },
        { tag: '!GetAtt', resolve: (value: string) => ({ 'Fn::GetAtt': value.split('.') }) },
        { tag: '!Sub', resolve: (value: string) => ({ 'Fn::Sub': value }) },
      ],
    });
    return config.custom.esbuild.banner.js as string;
  };

  it('imports and handles an EventBridge alarm with the createRequire banner (memory store, no targets: acknowledged)', async () => {
    const { stdout } = await bundleAndInvoke(await banner());
    expect(line(stdout, 'RESULT')).toEqual({ source: 'aws-eventbridge', decisions: [], unmatched: 1, rejected: [] });
  }, 60_000);

  it('throws with a stack mapped to the TypeScript sources, though the bundle is minified and Node reads no source map', async () => {
    // No TIDE_MODE: createRuntime refuses to start, and the handler rethrows its error.
    const { stdout } = await bundleAndInvoke(await banner(), {});
    const stack: string = line(stdout, 'THROWN');
    expect(stack).toMatch(/^RuntimeConfigError: TIDE_MODE is required/);
    expect(stack).toMatch(/functions\/shell\/runtime\.ts:\d+:\d+/);
    expect(stack).not.toMatch(/handler\.mjs:1:\d+/);
  }, 60_000);

  it('loads the Redis client on demand: bundled ioredis needs the createRequire banner (what the banner is for)', async () => {
    // ioredis bundled (as for a REDIS_URL deployment) and Redis unreachable: the client is loaded at the first call.
    const redis = { TIDE_MODE: 'shadow', REDIS_URL: 'redis://127.0.0.1:1', TIDE_STATE_RETRIES: '0' };
    const withBanner = line((await bundleAndInvoke(await banner(), redis, { external: [] })).stdout, 'THROWN');
    expect(withBanner).toMatch(/^RetryableIngestError: .*state store unavailable/);
    expect(withBanner).not.toMatch(/Dynamic require/);
    // Without it the bundle fails at the first require of a Node built-in by a CommonJS module (ioredis, at the
    // first state call; at load if one is in the entry chunk); either way the message is esbuild's.
    const without = await bundleAndInvoke(undefined, redis, { external: [] }).then(
      ({ stdout }) => stdout,
      (error: { stderr?: string }) => error.stderr ?? '',
    );
    // (In a log line the quotes are JSON-escaped.)
    expect(without).toMatch(/Dynamic require of \\?"[\w:]+\\?" is not supported/);
  }, 60_000);

  it('refuses REDIS_URL when the package leaves ioredis out (serverless.yml packages the Upstash client only)', async () => {
    const redis = { TIDE_MODE: 'shadow', REDIS_URL: 'redis://127.0.0.1:1' };
    const stdout = (await bundleAndInvoke(await banner(), redis)).stdout;
    // Not retryable (a redelivery meets the same package): reported, with the variable to change.
    const { rejected } = line(stdout, 'RESULT');
    expect(rejected).toEqual([
      {
        error: expect.objectContaining({
          name: 'StateClientMissingError',
          message: expect.stringMatching(/"ioredis" is not in this deployment package; for REDIS_URL/),
        }),
      },
    ]);
  }, 60_000);
});
