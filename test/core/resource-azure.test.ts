/**
 * The Azure `resource` block of a target document: bad input is a typed problem naming the field, every pool
 * is bound, an Azure ML deployment serves an inference endpoint, and `tide validate` explains why such a
 * target's policy cannot go below one instance.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDocument } from '../../core/errors.ts';
import { PolicySchema } from '../../core/schema/policy.ts';
import { TargetSchema, policyProblemsForTarget } from '../../core/schema/target.ts';
import type { CliIo } from '../../functions/cli/command.ts';
import { main } from '../../functions/cli/main.ts';

const SUB = '00000000-0000-0000-0000-0000000000a1';
const endpoint = {
  id: 'llm',
  kind: 'inference-endpoint',
  provider: 'azure',
  pools: [{ id: 'main', instanceType: 'Standard_NC24ads_A100_v4' }],
  resource: {
    provider: 'azure',
    subscriptionId: SUB,
    pools: {
      main: { kind: 'ml-online-deployment', resourceGroup: 'rg', workspace: 'ws', endpoint: 'llm', deployment: 'blue' },
    },
  },
};

describe('the Azure resource block', () => {
  it('parses, with defaults (autoscale: refuse, no metrics)', () => {
    const target = TargetSchema.parse(endpoint);
    expect(target.resource).toMatchObject({ pools: { main: { autoscale: 'refuse' } }, metrics: {} });
  });

  it.each([
    [
      'a subscription that is not a GUID',
      { ...endpoint.resource, subscriptionId: 'sub-1' },
      'resource.subscriptionId',
      /GUID/,
    ],
    [
      'a pool bound to nothing of the target',
      {
        ...endpoint.resource,
        pools: { ...endpoint.resource.pools, other: { kind: 'vmss', resourceGroup: 'rg', name: 'x' } },
      },
      'resource.pools.other',
      /names no pool/,
    ],
    [
      'a scale set name with a space',
      { ...endpoint.resource, pools: { main: { kind: 'vmss', resourceGroup: 'rg', name: 'a b' } } },
      'resource.pools.main.name',
      /Azure resource name/,
    ],
    [
      'a metric without a resource id',
      { ...endpoint.resource, metrics: { gpu: { resourceId: 'vmss-1', metricName: 'Percentage CPU' } } },
      'resource.metrics.gpu.resourceId',
      /resource id/,
    ],
  ])('rejects %s, naming the field', (_label, resource, path, message) => {
    const result = parseDocument(TargetSchema, { ...endpoint, resource }, 'target');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.problems).toContainEqual(
      expect.objectContaining({ path, message: expect.stringMatching(message) }),
    );
  });

  it('an Azure ML deployment is an inference-endpoint target', () => {
    const result = parseDocument(TargetSchema, { ...endpoint, kind: 'training-pool' }, 'target');
    expect(result.ok).toBe(false);
  });

  it('an Azure ML deployment needs minCapacity >= 1; a scale set may go to zero', () => {
    const target = TargetSchema.parse(endpoint);
    expect(policyProblemsForTarget(PolicySchema.parse({ minCapacity: 0 }), target)).toEqual([
      expect.objectContaining({ path: 'minCapacity', message: expect.stringMatching(/keeps at least one instance/) }),
    ]);
    const vmss = TargetSchema.parse({
      ...endpoint,
      resource: {
        provider: 'azure',
        subscriptionId: SUB,
        pools: { main: { kind: 'vmss', resourceGroup: 'rg', name: 'v' } },
      },
    });
    expect(policyProblemsForTarget(PolicySchema.parse({ minCapacity: 0 }), vmss)).toEqual([]);
  });

  it('tide validate says why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tide-validate-azure-'));
    const file = (name: string, content: unknown) => {
      writeFileSync(join(dir, name), JSON.stringify(content));
      return join(dir, name);
    };
    const err: string[] = [];
    const cli: CliIo = { out: () => {}, err: (t) => void err.push(t), isTty: false };
    const code = await main(
      ['validate', file('p.json', { minCapacity: 0 }), '--target', file('t.json', endpoint)],
      cli,
    );
    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(/minCapacity: must be at least 1 for Azure ML online deployment llm\/blue/);
  });
});
