import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDocument } from '../../core/errors.ts';
import { PolicySchema } from '../../core/schema/policy.ts';
import { TargetSchema, policyProblemsForTarget, type TargetInput } from '../../core/schema/target.ts';
import type { CliIo } from '../../functions/cli/command.ts';
import { main } from '../../functions/cli/main.ts';

const endpoint: TargetInput = {
  id: 'llm',
  kind: 'inference-endpoint',
  provider: 'aws',
  region: 'us-east-1',
  pools: [{ id: 'primary', instanceType: 'ml.g5.2xlarge' }],
  resource: { provider: 'aws', sagemakerEndpoint: { endpointName: 'llm-prod', variantName: 'blue' } },
};
const pools: TargetInput = {
  id: 'train',
  kind: 'training-pool',
  provider: 'aws',
  pools: [
    { id: 'g5-spot', instanceType: 'g5.12xlarge', capacityType: 'spot' },
    { id: 'g5-od', instanceType: 'g5.12xlarge' },
  ],
  resource: {
    provider: 'aws',
    region: 'eu-west-1',
    roleArn: 'arn:aws:iam::123456789012:role/tide-actuator',
    autoScalingGroups: {
      'g5-spot': 'gpu-spot',
      'g5-od':
        'arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:0f1e2d3c-aaaa-bbbb-cccc-000000000000:autoScalingGroupName/gpu-od',
    },
    checkpoint: { type: 'https', url: 'https://trainer.example/tide/checkpoint', secretEnv: 'TIDE_CHECKPOINT_KEY' },
  },
};

describe('target resource block', () => {
  it.each([
    ['a SageMaker endpoint', endpoint],
    ['Auto Scaling groups with a role and a checkpoint callback', pools],
    ['no resource (decide and shadow only)', { ...endpoint, resource: undefined }],
  ])('accepts %s', (_label, document) => {
    expect(parseDocument(TargetSchema, document, 'target').ok).toBe(true);
  });

  it.each([
    [
      'another provider',
      { ...endpoint, provider: 'gcp' },
      'resource.provider',
      /must equal the target's provider \(gcp\)/,
    ],
    [
      'a group for a pool that does not exist',
      { ...pools, resource: { provider: 'aws', autoScalingGroups: { 'g5-spot': 'a', 'g5-od': 'b', nope: 'c' } } },
      'resource.autoScalingGroups.nope',
      /names no pool of this target/,
    ],
    [
      'a pool without its group',
      { ...pools, resource: { provider: 'aws', autoScalingGroups: { 'g5-spot': 'a' } } },
      'resource.autoScalingGroups',
      /pool "g5-od" has none/,
    ],
    [
      'an endpoint with two pools',
      { ...endpoint, pools: [...endpoint.pools, { id: 'b', instanceType: 'ml.g5.xlarge' }] },
      'pools',
      /exactly one pool, was: 2/,
    ],
    ['nothing to scale', { ...endpoint, resource: { provider: 'aws' } }, 'resource', /names nothing to scale/],
    [
      'a bad role ARN',
      { ...pools, resource: { ...(pools.resource as object), roleArn: 'arn:aws:iam::12:user/x' } },
      'resource.roleArn',
      /IAM role ARN/,
    ],
    [
      'a plain-http checkpoint URL',
      {
        ...pools,
        resource: { ...(pools.resource as object), checkpoint: { type: 'https', url: 'http://x', secretEnv: 'K' } },
      },
      'resource.checkpoint.url',
      /https:\/\//,
    ],
  ])('rejects %s, naming the field', (_label, document, path, message) => {
    const result = parseDocument(TargetSchema, document, 'target');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.problems).toContainEqual(
      expect.objectContaining({ path, message: expect.stringMatching(message) }),
    );
  });

  it('a SageMaker variant needs minCapacity >= 1; an inference component may go to zero', () => {
    const policy = PolicySchema.parse({ minCapacity: 0 });
    const variant = TargetSchema.parse(endpoint);
    expect(policyProblemsForTarget(policy, variant)).toEqual([
      expect.objectContaining({
        path: 'minCapacity',
        message: expect.stringMatching(/cannot scale to zero instances/),
      }),
    ]);
    const component = TargetSchema.parse({
      ...endpoint,
      resource: { provider: 'aws', sagemakerEndpoint: { endpointName: 'llm-prod', inferenceComponentName: 'llm-ic' } },
    });
    expect(policyProblemsForTarget(policy, component)).toEqual([]);
    expect(policyProblemsForTarget(PolicySchema.parse({ minCapacity: 1 }), variant)).toEqual([]);
  });
});

describe('tide validate with targets', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tide-validate-'));
  const file = (name: string, content: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(content));
    return path;
  };
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    const cli: CliIo = { out: (t) => void out.push(t), err: (t) => void err.push(t), isTty: false };
    return { cli, out, err };
  };

  it('checks a target document', async () => {
    const ok = io();
    expect(await main(['validate', file('t.json', pools)], ok.cli)).toBe(0);
    expect(ok.out.join('\n')).toMatch(/valid target/);
    const bad = io();
    expect(await main(['validate', file('bad.json', { ...endpoint, provider: 'azure' })], bad.cli)).toBe(2);
    expect(bad.err.join('\n')).toMatch(/resource\.provider: must equal the target's provider \(azure\)/);
  });

  it('says why a scale-to-zero policy does not fit a SageMaker variant', async () => {
    const out = io();
    const code = await main(
      ['validate', file('p.json', { minCapacity: 0 }), '--target', file('e.json', endpoint)],
      out.cli,
    );
    expect(code).toBe(2);
    expect(out.err.join('\n')).toMatch(/minCapacity: must be at least 1 for SageMaker endpoint llm-prod/);
  });

  it('explains the floor of 1 on a Vertex AI model, and allows 0 for one deployed with scale to zero', async () => {
    const vertex = (scaleToZero: boolean) => ({
      id: 'llm',
      kind: 'inference-endpoint',
      provider: 'gcp',
      pools: [{ id: 'serve', instanceType: 'g2-standard-8' }],
      resource: {
        provider: 'gcp',
        pools: {
          serve: {
            kind: 'vertex-endpoint',
            project: 'p',
            location: 'us-central1',
            endpoint: '1',
            deployedModelId: 'd',
            scaleToZero,
          },
        },
      },
    });
    const policy = file('zero.json', { minCapacity: 0 });
    const floor = io();
    expect(await main(['validate', policy, '--target', file('v1.json', vertex(false))], floor.cli)).toBe(2);
    expect(floor.err.join('\n')).toMatch(
      /minCapacity: must be at least 1 for Vertex AI endpoint 1 \(deployed model d\).*scale to zero.*resource\.pools\.serve\.scaleToZero/,
    );
    const zero = io();
    expect(await main(['validate', policy, '--target', file('v0.json', vertex(true))], zero.cli)).toBe(0);
  });
});
