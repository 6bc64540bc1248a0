/**
 * Living beside Application Auto Scaling. A SageMaker variant or inference component may already have a
 * scalable target with scaling policies; two autoscalers on one count fight (each undoes the other every
 * few minutes). Tide's choice: before its first change it suspends the target's *dynamic* scaling (in and
 * out), and records what it found in a tag on the scalable target (`tide:found-suspended-state`), so
 * {@link ApplicationAutoScalingGuard.restore} puts back exactly that when the target leaves Tide. Min and
 * Max are left as the owner set them, and scheduled scaling stays the owner's. Tide does not register a
 * scalable target where there is none.
 */
import type { AwsCaller } from './calls.ts';
import type { AwsClients, AwsScope } from './clients.ts';

export const FOUND_STATE_TAG = 'tide:found-suspended-state';

/** A scalable dimension Tide may change. */
export interface ScalableResource {
  /** e.g. `endpoint/llm-prod/variant/AllTraffic`, `inference-component/llm-ic`. */
  resourceId: string;
  dimension: 'sagemaker:variant:DesiredInstanceCount' | 'sagemaker:inference-component:DesiredCopyCount';
}

export interface ApplicationAutoScalingGuard {
  /** Make sure AAS's dynamic scaling will not undo Tide's change (once per resource while warm, then cached). */
  ensureNotFought(resource: ScalableResource): Promise<void>;
  /** Put back the suspended state Tide found (the target is leaving Tide). */
  restore(resource: ScalableResource): Promise<'restored' | 'nothing-to-restore'>;
}

interface SuspendedState {
  DynamicScalingInSuspended?: boolean;
  DynamicScalingOutSuspended?: boolean;
  ScheduledScalingSuspended?: boolean;
}

/** How long a resource checked once is trusted not to have been changed back by its owner, ms. */
const CHECKED_FOR_MS = 5 * 60_000;

export function createApplicationAutoScalingGuard(deps: {
  clients: AwsClients;
  scope: AwsScope;
  caller: AwsCaller;
  now: () => number;
}): ApplicationAutoScalingGuard {
  const { clients, scope, caller } = deps;
  const checkedAt = new Map<string, number>();

  const describe = async (resource: ScalableResource) => {
    const { sdk, client } = await clients.applicationAutoScaling(scope);
    const input = {
      ServiceNamespace: 'sagemaker' as const,
      ResourceIds: [resource.resourceId],
      ScalableDimension: resource.dimension,
    };
    const out = await caller.call('application-autoscaling:DescribeScalableTargets', resource.resourceId, input, () =>
      client.send(new sdk.DescribeScalableTargetsCommand(input)),
    );
    return out?.ScalableTargets?.[0];
  };

  const register = async (resource: ScalableResource, state: SuspendedState) => {
    const { sdk, client } = await clients.applicationAutoScaling(scope);
    const input = {
      ServiceNamespace: 'sagemaker' as const,
      ResourceId: resource.resourceId,
      ScalableDimension: resource.dimension,
      SuspendedState: state,
    };
    await caller.call('application-autoscaling:RegisterScalableTarget', resource.resourceId, input, () =>
      client.send(new sdk.RegisterScalableTargetCommand(input)),
    );
  };

  return {
    async ensureNotFought(resource) {
      const key = `${resource.resourceId}|${resource.dimension}`;
      const at = checkedAt.get(key);
      if (at !== undefined && deps.now() - at < CHECKED_FOR_MS) return;
      const target = await describe(resource);
      const found = target?.SuspendedState ?? {};
      if (target && !(found.DynamicScalingInSuspended && found.DynamicScalingOutSuspended)) {
        const arn = target.ScalableTargetARN;
        if (arn) {
          // The tag first: should the suspension succeed and the process die, restore still knows the original.
          const { sdk, client } = await clients.applicationAutoScaling(scope);
          const tag = {
            ResourceARN: arn,
            Tags: {
              [FOUND_STATE_TAG]: JSON.stringify({
                in: found.DynamicScalingInSuspended ?? false,
                out: found.DynamicScalingOutSuspended ?? false,
              }),
            },
          };
          await caller.call('application-autoscaling:TagResource', arn, tag, () =>
            client.send(new sdk.TagResourceCommand(tag)),
          );
        }
        await register(resource, {
          DynamicScalingInSuspended: true,
          DynamicScalingOutSuspended: true,
          ScheduledScalingSuspended: found.ScheduledScalingSuspended ?? false,
        });
      }
      checkedAt.set(key, deps.now());
    },

    async restore(resource) {
      checkedAt.delete(`${resource.resourceId}|${resource.dimension}`);
      const target = await describe(resource);
      const arn = target?.ScalableTargetARN;
      if (!target || !arn) return 'nothing-to-restore';
      const { sdk, client } = await clients.applicationAutoScaling(scope);
      const tags = await caller.call('application-autoscaling:ListTagsForResource', arn, { ResourceARN: arn }, () =>
        client.send(new sdk.ListTagsForResourceCommand({ ResourceARN: arn })),
      );
      const recorded = tags?.Tags?.[FOUND_STATE_TAG];
      if (!recorded) return 'nothing-to-restore';
      const found = JSON.parse(recorded) as { in: boolean; out: boolean };
      await register(resource, {
        DynamicScalingInSuspended: found.in,
        DynamicScalingOutSuspended: found.out,
        ScheduledScalingSuspended: target.SuspendedState?.ScheduledScalingSuspended ?? false,
      });
      const untag = { ResourceARN: arn, TagKeys: [FOUND_STATE_TAG] };
      await caller.call('application-autoscaling:UntagResource', arn, untag, () =>
        client.send(new sdk.UntagResourceCommand(untag)),
      );
      return 'restored';
    },
  };
}

/** The scalable resource id a target's SageMaker block names (the one Tide may have suspended), if any. */
export function scalableResourceIdOf(resource: {
  sagemakerEndpoint?: { endpointName: string; variantName: string; inferenceComponentName?: string };
}): string | undefined {
  const endpoint = resource.sagemakerEndpoint;
  if (!endpoint) return undefined;
  return endpoint.inferenceComponentName
    ? `inference-component/${endpoint.inferenceComponentName}`
    : `endpoint/${endpoint.endpointName}/variant/${endpoint.variantName}`;
}

/** Pages of DescribeScalableTargets read per sweep (50 targets a page). */
const SWEEP_PAGES = 4;

/**
 * Give back the scalable targets of targets that left Tide. A scalable target whose dynamic scaling is
 * suspended and whose resource no current Tide target names is a candidate; the guard restores it only
 * when Tide's tag records what it found (a suspension someone else made has no tag and is left alone).
 * One DescribeScalableTargets per page; ListTagsForResource only for candidates.
 */
export async function restoreLeftTargets(
  managed: ReadonlySet<string>,
  deps: { clients: AwsClients; scope: AwsScope; caller: AwsCaller; now: () => number },
): Promise<string[]> {
  const { sdk, client } = await deps.clients.applicationAutoScaling(deps.scope);
  const candidates: ScalableResource[] = [];
  let token: string | undefined;
  for (let page = 0; page < SWEEP_PAGES; page++) {
    const input = { ServiceNamespace: 'sagemaker' as const, MaxResults: 50, ...(token ? { NextToken: token } : {}) };
    const out = await deps.caller.call(
      'application-autoscaling:DescribeScalableTargets',
      `region/${deps.scope.region}`,
      input,
      () => client.send(new sdk.DescribeScalableTargetsCommand(input)),
    );
    for (const target of out?.ScalableTargets ?? []) {
      const dimension = target.ScalableDimension;
      const suspended =
        target.SuspendedState?.DynamicScalingInSuspended && target.SuspendedState.DynamicScalingOutSuspended;
      if (!target.ResourceId || !suspended || managed.has(target.ResourceId)) continue;
      if (
        dimension !== 'sagemaker:variant:DesiredInstanceCount' &&
        dimension !== 'sagemaker:inference-component:DesiredCopyCount'
      )
        continue;
      candidates.push({ resourceId: target.ResourceId, dimension });
    }
    token = out?.NextToken;
    if (!token) break;
  }
  const guard = createApplicationAutoScalingGuard(deps);
  const restored: string[] = [];
  for (const candidate of candidates) {
    if ((await guard.restore(candidate)) === 'restored') restored.push(candidate.resourceId);
  }
  return restored;
}
