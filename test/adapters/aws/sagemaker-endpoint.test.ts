import { describe, expect, it, vi } from 'vitest';
import {
  AccessDeniedError,
  PoolNotFoundError,
  ProviderUnavailableError,
  ResourceBusyError,
  ThrottledError,
  isRetryableActuatorError,
} from '../../../adapters/ports/actuator.ts';
import { FOUND_STATE_TAG, createApplicationAutoScalingGuard } from '../../../adapters/aws/app-autoscaling.ts';
import { createAwsCaller } from '../../../adapters/aws/calls.ts';
import { endpointTarget, useFakeAws } from './setup.ts';

const fake = useFakeAws();

describe('SageMaker endpoint actuator (real SDK client, wire-level fake)', () => {
  it('observes the variant: desired and current counts, the config’s instance type', async () => {
    const endpoint = fake.aws.sagemaker.addEndpoint('obs', 'AllTraffic', 'ml.g5.2xlarge', 3);
    (endpoint.ProductionVariants[0] as { DesiredInstanceCount: number }).DesiredInstanceCount = 4;
    const observed = await fake.actuator(endpointTarget('obs')).readCapacity('t-obs');
    expect(observed.pools).toEqual([
      { poolId: 'primary', instanceType: 'ml.g5.2xlarge', capacityType: 'on-demand', desired: 4, ready: 3, pending: 1 },
    ]);
    expect(fake.aws.server.requests.map((r) => `${r.service}:${r.action}`)).toEqual([
      'sagemaker:DescribeEndpoint',
      'sagemaker:DescribeEndpointConfig',
    ]);
  });

  it('scales with UpdateEndpointWeightsAndCapacities (absolute count); a redelivery while it updates changes nothing', async () => {
    fake.aws.sagemaker.addEndpoint('scale', 'AllTraffic', 'ml.g5.xlarge', 2);
    const actuator = fake.actuator(endpointTarget('scale'));
    await actuator.setCapacity({ poolId: 'primary', desired: 5 });
    const [update] = fake.aws.server.calls('sagemaker', 'UpdateEndpointWeightsAndCapacities');
    expect(update?.params).toEqual({
      EndpointName: 'scale',
      DesiredWeightsAndCapacities: [{ VariantName: 'AllTraffic', DesiredInstanceCount: 5 }],
    });
    // The same decision again (its confirmation was lost): the endpoint is Updating toward 5 already.
    await actuator.setCapacity({ poolId: 'primary', desired: 5 });
    expect(fake.aws.sagemaker.endpoints.get('scale')?.ProductionVariants[0]?.DesiredInstanceCount).toBe(5);
    expect(fake.aws.server.calls('sagemaker', 'UpdateEndpointWeightsAndCapacities')).toHaveLength(2);
    expect(fake.aws.server.calls('sagemaker', 'UpdateEndpointWeightsAndCapacities')[1]?.attempt).toMatch(/attempt=1;/);
  });

  it('an endpoint Updating toward another count: the action waits for the next decision, not a blind retry', async () => {
    fake.aws.sagemaker.addEndpoint('busy', 'AllTraffic', 'ml.g5.xlarge', 2);
    const actuator = fake.actuator(endpointTarget('busy'));
    await actuator.setCapacity({ poolId: 'primary', desired: 3 });
    const error = await actuator.setCapacity({ poolId: 'primary', desired: 6 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResourceBusyError);
    expect((error as Error).message).toBe(
      'endpoint/busy/variant/AllTraffic is Updating: the change waits for the next decision',
    );
    expect(isRetryableActuatorError(error)).toBe(false);
    expect(fake.aws.server.calls('sagemaker', 'UpdateEndpointWeightsAndCapacities')).toHaveLength(2); // no retries
    fake.aws.advance();
    await actuator.setCapacity({ poolId: 'primary', desired: 6 });
    expect(fake.aws.sagemaker.endpoints.get('busy')?.ProductionVariants[0]?.DesiredInstanceCount).toBe(6);
  });

  it('does not fight an Application Auto Scaling target: suspends its dynamic scaling, remembers and restores what it found', async () => {
    fake.aws.sagemaker.addEndpoint('aas', 'AllTraffic', 'ml.g5.xlarge', 2);
    const scalable = fake.aws.sagemaker.addScalableTarget(
      'endpoint/aas/variant/AllTraffic',
      'sagemaker:variant:DesiredInstanceCount',
      1,
      8,
      2,
    );
    // Without Tide's guard, the AAS policy undoes a change at its next step (the fight this prevents):
    const variant = fake.aws.sagemaker.endpoints.get('aas')?.ProductionVariants[0] as { DesiredInstanceCount: number };
    variant.DesiredInstanceCount = 5;
    fake.aws.advance();
    expect(variant.DesiredInstanceCount).toBe(2);

    await fake.actuator(endpointTarget('aas')).setCapacity({ poolId: 'primary', desired: 5 });
    expect(scalable.SuspendedState).toMatchObject({
      DynamicScalingInSuspended: true,
      DynamicScalingOutSuspended: true,
    });
    expect(scalable.Tags[FOUND_STATE_TAG]).toBe('{"in":false,"out":false}');
    expect([scalable.MinCapacity, scalable.MaxCapacity]).toEqual([1, 8]); // the owner's bounds stay
    fake.aws.advance();
    fake.aws.advance();
    expect(variant.DesiredInstanceCount).toBe(5);

    const guard = createApplicationAutoScalingGuard({
      clients: fake.clients,
      scope: { region: 'us-east-1' },
      caller: createAwsCaller('act', { info() {}, warn() {} }),
      now: Date.now,
    });
    expect(
      await guard.restore({
        resourceId: 'endpoint/aas/variant/AllTraffic',
        dimension: 'sagemaker:variant:DesiredInstanceCount',
      }),
    ).toBe('restored');
    expect(scalable.SuspendedState).toMatchObject({
      DynamicScalingInSuspended: false,
      DynamicScalingOutSuspended: false,
    });
    expect(scalable.Tags).toEqual({});
  });

  it('scales an inference component’s copies to zero', async () => {
    fake.aws.sagemaker.addEndpoint('ic-ep', 'AllTraffic', 'ml.g5.xlarge', 1);
    fake.aws.sagemaker.components.set('llm-ic', {
      InferenceComponentName: 'llm-ic',
      EndpointName: 'ic-ep',
      VariantName: 'AllTraffic',
      InferenceComponentStatus: 'InService',
      RuntimeConfig: { DesiredCopyCount: 2, CurrentCopyCount: 2 },
    });
    const actuator = fake.actuator(endpointTarget('ic-ep', { inferenceComponentName: 'llm-ic' }));
    expect((await actuator.readCapacity('t')).pools[0]).toMatchObject({ desired: 2, ready: 2 });
    await actuator.setCapacity({ poolId: 'primary', desired: 0 });
    expect(fake.aws.server.calls('sagemaker', 'UpdateInferenceComponentRuntimeConfig')[0]?.params).toEqual({
      InferenceComponentName: 'llm-ic',
      DesiredRuntimeConfig: { CopyCount: 0 },
    });
    expect(fake.aws.server.calls('application-autoscaling', 'DescribeScalableTargets')[0]?.params).toMatchObject({
      ResourceIds: ['inference-component/llm-ic'],
      ScalableDimension: 'sagemaker:inference-component:DesiredCopyCount',
    });
    fake.aws.advance();
    expect((await actuator.readCapacity('t')).pools[0]).toMatchObject({ desired: 0, ready: 0 });
  });

  it('changes the instance type by rolling a new endpoint config in; later reads observe the roll, a redelivery adds nothing', async () => {
    fake.aws.sagemaker.addEndpoint('roll', 'AllTraffic', 'ml.g5.xlarge', 3);
    const actuator = fake.actuator(endpointTarget('roll'));
    await actuator.changeInstanceType({ poolId: 'primary', toInstanceType: 'ml.g5.4xlarge', count: 3 });
    const [create] = fake.aws.server.calls('sagemaker', 'CreateEndpointConfig');
    const configName = create?.params.EndpointConfigName as string;
    expect(create?.params.ProductionVariants).toEqual([
      { VariantName: 'AllTraffic', InstanceType: 'ml.g5.4xlarge', InitialInstanceCount: 3, ModelName: 'm' },
    ]);
    expect(fake.aws.server.calls('sagemaker', 'UpdateEndpoint')[0]?.params).toMatchObject({
      EndpointName: 'roll',
      EndpointConfigName: configName,
      DeploymentConfig: { RollingUpdatePolicy: { MaximumBatchSize: { Type: 'INSTANCE_COUNT', Value: 1 } } },
    });
    const seen: string[] = [];
    for (let tick = 0; tick < 4; tick++) {
      const pool = (await actuator.readCapacity('t')).pools[0];
      seen.push(`${pool?.instanceType}×${pool?.ready}`);
      // Serving capacity never drops below what served traffic while it rolls.
      expect(pool?.ready).toBeGreaterThanOrEqual(3);
      if (tick === 0)
        await actuator.changeInstanceType({ poolId: 'primary', toInstanceType: 'ml.g5.4xlarge', count: 3 });
      fake.aws.advance();
    }
    expect(seen).toEqual(['ml.g5.xlarge×3', 'ml.g5.xlarge×3', 'ml.g5.xlarge×3', 'ml.g5.4xlarge×3']);
    expect(fake.aws.server.calls('sagemaker', 'CreateEndpointConfig')).toHaveLength(1);
    expect(fake.aws.server.calls('sagemaker', 'UpdateEndpoint')).toHaveLength(1);
  });

  it('a burst of reads shares one DescribeEndpoint; a steady observation answers for a second, stamped with its read', async () => {
    fake.aws.sagemaker.addEndpoint('burst', 'AllTraffic', 'ml.g5.xlarge', 2);
    let clock = 1_800_000_000_000;
    const actuator = fake.actuator(endpointTarget('burst'), 'act', { now: () => clock });
    const describes = () => fake.aws.server.calls('sagemaker', 'DescribeEndpoint').length;
    const burst = await Promise.all(Array.from({ length: 8 }, () => actuator.readCapacity('t')));
    expect(describes()).toBe(1);
    for (const observed of burst) expect(observed).toEqual(burst[0]);
    expect(burst[0]?.observedAt).toBe(clock);
    const readAt = clock;
    clock += 999;
    const kept = await actuator.readCapacity('t');
    expect(describes()).toBe(1);
    // Its age is the read's: the core's staleness check sees how old it really is.
    expect(kept.observedAt).toBe(readAt);
    // Someone else changes the count; Tide sees it once the second is over.
    const variant = fake.aws.sagemaker.endpoints.get('burst')?.ProductionVariants[0] as {
      DesiredInstanceCount: number;
    };
    variant.DesiredInstanceCount = 4;
    clock += 1;
    expect((await actuator.readCapacity('t')).pools[0]).toMatchObject({ desired: 4, ready: 2, pending: 2 });
    expect(describes()).toBe(2);
    // Desired not reached (the endpoint scales): not steady, read every time.
    await actuator.readCapacity('t');
    expect(describes()).toBe(3);
  });

  it('never reuses an observation across Tide’s own change, nor while the endpoint updates; with 0 ms, reads every time', async () => {
    fake.aws.sagemaker.addEndpoint('own', 'AllTraffic', 'ml.g5.xlarge', 2);
    const clock = 1_800_000_000_000;
    const actuator = fake.actuator(endpointTarget('own'), 'act', { now: () => clock });
    const order = () =>
      fake.aws.server.requests
        .filter((r) => r.service === 'sagemaker' && r.action !== 'DescribeEndpointConfig')
        .map((r) => r.action);
    // A read in flight when the change is made (it saw the endpoint steady at 2; its answer comes back after
    // the change) is not kept, nor shared with the reads after the change.
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    fake.aws.server.fail({ service: 'sagemaker', action: 'DescribeEndpoint' }, { until: held });
    const early = actuator.readCapacity('t');
    await vi.waitUntil(() => fake.aws.server.calls('sagemaker', 'DescribeEndpoint').length === 1, { timeout: 10_000 });
    await actuator.setCapacity({ poolId: 'primary', desired: 3 });
    release();
    expect((await early).pools[0]).toMatchObject({ desired: 2, ready: 2 });
    expect((await actuator.readCapacity('t')).pools[0]).toMatchObject({ desired: 3, ready: 2 });
    // Updating: read every time.
    expect((await actuator.readCapacity('t')).pools[0]).toMatchObject({ desired: 3, ready: 2 });
    expect(order().slice(-3)).toEqual(['UpdateEndpointWeightsAndCapacities', 'DescribeEndpoint', 'DescribeEndpoint']);
    expect(order().filter((a) => a === 'DescribeEndpoint')).toHaveLength(3);
    fake.aws.advance(); // InService at 3
    expect((await actuator.readCapacity('t')).pools[0]).toMatchObject({ desired: 3, ready: 3 });
    await actuator.readCapacity('t');
    expect(order().filter((a) => a === 'DescribeEndpoint')).toHaveLength(4);

    const every = fake.actuator(endpointTarget('own'), 'act', { now: () => clock, steadyObservationMs: 0 });
    await every.readCapacity('t');
    await every.readCapacity('t');
    expect(order().filter((a) => a === 'DescribeEndpoint')).toHaveLength(6);
  });

  it('a missing endpoint: a typed, non-retryable error naming the resource and the call, one request', async () => {
    const error = await fake
      .actuator(endpointTarget('nope'))
      .readCapacity('t')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PoolNotFoundError);
    expect((error as Error).message).toMatch(
      /no pool "primary": endpoint\/nope\/variant\/AllTraffic: Could not find endpoint/,
    );
    expect(isRetryableActuatorError(error)).toBe(false);
    expect(fake.aws.server.requests).toHaveLength(1);
  });

  it.each([
    ['throttling twice, then success', 'throttle' as const, 2, undefined, 3],
    ['throttling on every attempt', 'throttle' as const, 5, ThrottledError, 3],
    ['a 500 on every attempt', 'server-error' as const, 5, ProviderUnavailableError, 3],
    ['connection resets on every attempt', 'connection-reset' as const, 5, ProviderUnavailableError, 3],
    ['no answer within the request timeout', 'timeout' as const, 5, ProviderUnavailableError, 3],
    ['access denied', 'access-denied' as const, 5, AccessDeniedError, 1],
  ])('%s: bounded retries, then the typed error', async (_label, fault, times, errorClass, requests) => {
    fake.aws.sagemaker.addEndpoint(`f-${fault}-${times}`, 'AllTraffic', 'ml.g5.xlarge', 2);
    fake.aws.server.fail({ service: 'sagemaker', action: 'UpdateEndpointWeightsAndCapacities' }, fault, times);
    const result = await fake
      .actuator(endpointTarget(`f-${fault}-${times}`))
      .setCapacity({ poolId: 'primary', desired: 4 })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    if (errorClass) {
      expect(result).toBeInstanceOf(errorClass);
      expect(isRetryableActuatorError(result)).toBe(errorClass !== AccessDeniedError);
      if (errorClass === AccessDeniedError) {
        expect((result as Error).message).toBe(
          `access denied: sagemaker:UpdateEndpointWeightsAndCapacities on endpoint/f-${fault}-${times}/variant/AllTraffic`,
        );
      }
    } else expect(result).toBeUndefined();
    const calls = fake.aws.server.calls('sagemaker', 'UpdateEndpointWeightsAndCapacities');
    expect(calls).toHaveLength(requests);
    expect(calls.map((c) => c.attempt)).toEqual(calls.map((_, i) => `attempt=${i + 1}; max=3`));
  });

  it('dry-run makes only the describe calls and logs what it would call', async () => {
    fake.aws.sagemaker.addEndpoint('dry', 'AllTraffic', 'ml.g5.xlarge', 2);
    fake.aws.sagemaker.addScalableTarget(
      'endpoint/dry/variant/AllTraffic',
      'sagemaker:variant:DesiredInstanceCount',
      1,
      8,
    );
    const actuator = fake.actuator(endpointTarget('dry'), 'dry-run');
    await actuator.setCapacity({ poolId: 'primary', desired: 7 });
    await actuator.changeInstanceType({ poolId: 'primary', toInstanceType: 'ml.g5.2xlarge', count: 2 });
    expect(new Set(fake.aws.server.requests.map((r) => r.action))).toEqual(
      new Set(['DescribeScalableTargets', 'DescribeEndpoint', 'DescribeEndpointConfig']),
    );
    expect(fake.logs.map((l) => l.fields?.call)).toEqual([
      'application-autoscaling:TagResource',
      'application-autoscaling:RegisterScalableTarget',
      'sagemaker:UpdateEndpointWeightsAndCapacities',
      'sagemaker:CreateEndpointConfig',
      'sagemaker:UpdateEndpoint',
    ]);
    expect(fake.aws.sagemaker.endpoints.get('dry')?.ProductionVariants[0]?.DesiredInstanceCount).toBe(2);
  });
});
