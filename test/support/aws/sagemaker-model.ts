import { AwsWireError } from './wire-server.ts';

/**
 * SageMaker and Application Auto Scaling as the fake keeps them: endpoints with one config each, endpoint
 * configs, inference components and scalable targets. `advance()` is one step of the cloud's own time:
 * an update in progress moves one instance at a time, and an unsuspended AAS policy pulls the count back.
 */

export interface FakeVariant {
  VariantName: string;
  CurrentInstanceCount: number;
  DesiredInstanceCount: number;
}
export interface FakeEndpoint {
  EndpointName: string;
  EndpointConfigName: string;
  EndpointStatus: 'InService' | 'Updating' | 'Creating' | 'Failed';
  ProductionVariants: FakeVariant[];
  /** A config rolling in: instances of the new type come up before the old go. */
  rolling?: { configName: string; newReady: number; target: number };
}
export interface FakeEndpointConfig {
  EndpointConfigName: string;
  ProductionVariants: { VariantName: string; InstanceType: string; InitialInstanceCount: number; ModelName: string }[];
}
export interface FakeInferenceComponent {
  InferenceComponentName: string;
  EndpointName: string;
  VariantName: string;
  InferenceComponentStatus: 'InService' | 'Updating';
  RuntimeConfig: { DesiredCopyCount: number; CurrentCopyCount: number };
}
export interface FakeScalableTarget {
  ServiceNamespace: 'sagemaker';
  ResourceId: string;
  ScalableDimension: string;
  MinCapacity: number;
  MaxCapacity: number;
  ScalableTargetARN: string;
  SuspendedState: {
    DynamicScalingInSuspended: boolean;
    DynamicScalingOutSuspended: boolean;
    ScheduledScalingSuspended: boolean;
  };
  /** What the target's own scaling policy would set at the next step when not suspended (the "fight"). */
  policyDesired?: number;
  Tags: Record<string, string>;
}

const ARN = 'arn:aws:sagemaker:us-east-1:123456789012';

export class SageMakerModel {
  endpoints = new Map<string, FakeEndpoint>();
  configs = new Map<string, FakeEndpointConfig>();
  components = new Map<string, FakeInferenceComponent>();
  scalableTargets: FakeScalableTarget[] = [];

  /** Add an endpoint in service with one variant of `count` instances of `instanceType`. */
  addEndpoint(name: string, variant: string, instanceType: string, count: number): FakeEndpoint {
    const configName = `${name}-config-0`;
    this.configs.set(configName, {
      EndpointConfigName: configName,
      ProductionVariants: [
        { VariantName: variant, InstanceType: instanceType, InitialInstanceCount: count, ModelName: 'm' },
      ],
    });
    const endpoint: FakeEndpoint = {
      EndpointName: name,
      EndpointConfigName: configName,
      EndpointStatus: 'InService',
      ProductionVariants: [{ VariantName: variant, CurrentInstanceCount: count, DesiredInstanceCount: count }],
    };
    this.endpoints.set(name, endpoint);
    return endpoint;
  }

  addScalableTarget(resourceId: string, dimension: string, min: number, max: number, policyDesired?: number) {
    const target: FakeScalableTarget = {
      ServiceNamespace: 'sagemaker',
      ResourceId: resourceId,
      ScalableDimension: dimension,
      MinCapacity: min,
      MaxCapacity: max,
      ScalableTargetARN: `arn:aws:application-autoscaling:us-east-1:123456789012:scalable-target/${this.scalableTargets.length}`,
      SuspendedState: {
        DynamicScalingInSuspended: false,
        DynamicScalingOutSuspended: false,
        ScheduledScalingSuspended: false,
      },
      Tags: {},
      ...(policyDesired === undefined ? {} : { policyDesired }),
    };
    this.scalableTargets.push(target);
    return target;
  }

  instanceTypeOf(endpoint: FakeEndpoint): string | undefined {
    return this.configs.get(endpoint.EndpointConfigName)?.ProductionVariants[0]?.InstanceType;
  }

  /** One step of the cloud: updates move on, AAS policies that are not suspended act. */
  advance(): void {
    for (const endpoint of this.endpoints.values()) {
      const variant = endpoint.ProductionVariants[0] as FakeVariant;
      if (endpoint.rolling) {
        const rolling = endpoint.rolling;
        rolling.newReady += 1;
        if (rolling.newReady >= rolling.target) {
          endpoint.EndpointConfigName = rolling.configName;
          variant.CurrentInstanceCount = rolling.target;
          variant.DesiredInstanceCount = rolling.target;
          endpoint.EndpointStatus = 'InService';
          delete endpoint.rolling;
        }
        continue;
      }
      if (endpoint.EndpointStatus === 'Updating') {
        const step = Math.sign(variant.DesiredInstanceCount - variant.CurrentInstanceCount);
        variant.CurrentInstanceCount += step;
        if (variant.CurrentInstanceCount === variant.DesiredInstanceCount) endpoint.EndpointStatus = 'InService';
      }
    }
    for (const component of this.components.values()) {
      component.RuntimeConfig.CurrentCopyCount = component.RuntimeConfig.DesiredCopyCount;
      component.InferenceComponentStatus = 'InService';
    }
    for (const target of this.scalableTargets) {
      const { policyDesired, SuspendedState } = target;
      if (policyDesired === undefined) continue;
      const match = /^endpoint\/([^/]+)\/variant\/(.+)$/.exec(target.ResourceId);
      const variant =
        match && this.endpoints.get(match[1] as string)?.ProductionVariants.find((v) => v.VariantName === match[2]);
      if (!variant) continue;
      const wantsOut = policyDesired > variant.DesiredInstanceCount && !SuspendedState.DynamicScalingOutSuspended;
      const wantsIn = policyDesired < variant.DesiredInstanceCount && !SuspendedState.DynamicScalingInSuspended;
      if (wantsOut || wantsIn) variant.DesiredInstanceCount = policyDesired;
    }
  }

  handleSageMaker = (action: string, p: Record<string, unknown>): unknown => {
    switch (action) {
      case 'DescribeEndpoint': {
        const endpoint = this.endpoint(p.EndpointName);
        return {
          EndpointName: endpoint.EndpointName,
          EndpointArn: `${ARN}:endpoint/${endpoint.EndpointName}`,
          EndpointConfigName: endpoint.EndpointConfigName,
          EndpointStatus: endpoint.EndpointStatus,
          ProductionVariants: endpoint.ProductionVariants,
          ...(endpoint.rolling
            ? { PendingDeploymentSummary: { EndpointConfigName: endpoint.rolling.configName } }
            : {}),
          CreationTime: 1700000000,
          LastModifiedTime: 1700000000.5,
        };
      }
      case 'DescribeEndpointConfig': {
        const config = this.configs.get(String(p.EndpointConfigName));
        if (!config)
          throw new AwsWireError(
            'ValidationException',
            `Could not find endpoint configuration "${String(p.EndpointConfigName)}".`,
          );
        return {
          ...config,
          EndpointConfigArn: `${ARN}:endpoint-config/${config.EndpointConfigName}`,
          CreationTime: 1700000000,
        };
      }
      case 'CreateEndpointConfig': {
        const name = String(p.EndpointConfigName);
        if (this.configs.has(name)) {
          throw new AwsWireError(
            'ValidationException',
            `Cannot create already existing endpoint configuration "${ARN}:endpoint-config/${name}".`,
          );
        }
        this.configs.set(name, {
          EndpointConfigName: name,
          ProductionVariants: p.ProductionVariants as FakeEndpointConfig['ProductionVariants'],
        });
        return { EndpointConfigArn: `${ARN}:endpoint-config/${name}` };
      }
      case 'UpdateEndpoint': {
        const endpoint = this.endpoint(p.EndpointName);
        this.inService(endpoint);
        const config = this.configs.get(String(p.EndpointConfigName));
        if (!config)
          throw new AwsWireError(
            'ValidationException',
            `Could not find endpoint configuration "${String(p.EndpointConfigName)}".`,
          );
        endpoint.EndpointStatus = 'Updating';
        endpoint.rolling = {
          configName: config.EndpointConfigName,
          newReady: 0,
          target: config.ProductionVariants[0]?.InitialInstanceCount ?? 1,
        };
        return { EndpointArn: `${ARN}:endpoint/${endpoint.EndpointName}` };
      }
      case 'UpdateEndpointWeightsAndCapacities': {
        const endpoint = this.endpoint(p.EndpointName);
        this.inService(endpoint);
        for (const desired of p.DesiredWeightsAndCapacities as {
          VariantName: string;
          DesiredInstanceCount?: number;
        }[]) {
          const variant = endpoint.ProductionVariants.find((v) => v.VariantName === desired.VariantName);
          if (!variant)
            throw new AwsWireError(
              'ValidationException',
              `The variant name(s) "${desired.VariantName}" is/are not present.`,
            );
          if (desired.DesiredInstanceCount !== undefined) variant.DesiredInstanceCount = desired.DesiredInstanceCount;
        }
        endpoint.EndpointStatus = 'Updating';
        return { EndpointArn: `${ARN}:endpoint/${endpoint.EndpointName}` };
      }
      case 'DescribeInferenceComponent': {
        const component = this.component(p.InferenceComponentName);
        return {
          ...component,
          InferenceComponentArn: `${ARN}:inference-component/${component.InferenceComponentName}`,
          CreationTime: 1700000000,
          LastModifiedTime: 1700000000,
        };
      }
      case 'UpdateInferenceComponentRuntimeConfig': {
        const component = this.component(p.InferenceComponentName);
        if (component.InferenceComponentStatus !== 'InService') {
          throw new AwsWireError(
            'ValidationException',
            `Inference component ${component.InferenceComponentName} is in Updating state.`,
          );
        }
        component.RuntimeConfig.DesiredCopyCount = (p.DesiredRuntimeConfig as { CopyCount: number }).CopyCount;
        component.InferenceComponentStatus = 'Updating';
        return { InferenceComponentArn: `${ARN}:inference-component/${component.InferenceComponentName}` };
      }
      default:
        throw new AwsWireError('UnknownOperationException', `the fake does not serve SageMaker.${action}`);
    }
  };

  handleApplicationAutoScaling = (action: string, p: Record<string, unknown>): unknown => {
    switch (action) {
      case 'DescribeScalableTargets': {
        const ids = p.ResourceIds as string[] | undefined;
        return {
          ScalableTargets: this.scalableTargets
            .filter(
              (t) =>
                (!ids || ids.includes(t.ResourceId)) &&
                (!p.ScalableDimension || t.ScalableDimension === p.ScalableDimension),
            )
            .map(({ policyDesired: _p, Tags: _t, ...rest }) => ({
              ...rest,
              RoleARN: 'arn:aws:iam::123456789012:role/aas',
              CreationTime: 1700000000,
            })),
        };
      }
      case 'RegisterScalableTarget': {
        const target = this.scalableTargets.find(
          (t) => t.ResourceId === p.ResourceId && t.ScalableDimension === p.ScalableDimension,
        );
        if (!target) throw new AwsWireError('ValidationException', 'the fake only updates existing scalable targets');
        if (typeof p.MinCapacity === 'number') target.MinCapacity = p.MinCapacity;
        if (typeof p.MaxCapacity === 'number') target.MaxCapacity = p.MaxCapacity;
        if (p.SuspendedState) Object.assign(target.SuspendedState, p.SuspendedState);
        return { ScalableTargetARN: target.ScalableTargetARN };
      }
      case 'TagResource': {
        const target = this.scalableTargets.find((t) => t.ScalableTargetARN === p.ResourceARN);
        if (!target) throw new AwsWireError('ResourceNotFoundException', `no ${String(p.ResourceARN)}`);
        Object.assign(target.Tags, p.Tags);
        return {};
      }
      case 'UntagResource': {
        const target = this.scalableTargets.find((t) => t.ScalableTargetARN === p.ResourceARN);
        for (const key of (p.TagKeys as string[]) ?? []) delete target?.Tags[key];
        return {};
      }
      case 'ListTagsForResource': {
        const target = this.scalableTargets.find((t) => t.ScalableTargetARN === p.ResourceARN);
        return { Tags: target?.Tags ?? {} };
      }
      default:
        throw new AwsWireError(
          'UnknownOperationException',
          `the fake does not serve AnyScaleFrontendService.${action}`,
        );
    }
  };

  private endpoint(name: unknown): FakeEndpoint {
    const endpoint = this.endpoints.get(String(name));
    if (!endpoint)
      throw new AwsWireError('ValidationException', `Could not find endpoint "${ARN}:endpoint/${String(name)}".`);
    return endpoint;
  }

  private component(name: unknown): FakeInferenceComponent {
    const component = this.components.get(String(name));
    if (!component)
      throw new AwsWireError(
        'ValidationException',
        `Could not find inference component "${ARN}:inference-component/${String(name)}".`,
      );
    return component;
  }

  private inService(endpoint: FakeEndpoint): void {
    if (endpoint.EndpointStatus !== 'InService') {
      throw new AwsWireError(
        'ValidationException',
        `Cannot update in-progress endpoint "${ARN}:endpoint/${endpoint.EndpointName}".`,
      );
    }
  }
}
