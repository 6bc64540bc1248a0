/**
 * serverless.yml grants exactly what the AWS adapters call. One scenario drives every adapter operation
 * through the real SDK clients against the wire-level fake; the calls the fake saw (service and action, as
 * IAM names them) must equal the adapters' table (adapters/aws/calls.ts), and the table must equal the cloud
 * actions of serverless.yml's IAM statements: a grant nobody uses, or a call nobody granted, fails here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { createApplicationAutoScalingGuard } from '../../adapters/aws/app-autoscaling.ts';
import { AWS_CALLS, createAwsCaller } from '../../adapters/aws/calls.ts';
import type { AutoScalingGroupsActuator } from '../../adapters/aws/index.ts';
import { readAwsMetrics } from '../../adapters/aws/metrics.ts';
import { createSpotPriceCache } from '../../adapters/aws/spot-prices.ts';
import { TargetSchema } from '../../core/schema/target.ts';
import { endpointTarget, groupsTarget, useFakeAws } from '../adapters/aws/setup.ts';

const fake = useFakeAws();
/** The wire's signing names where IAM names the service differently. */
const IAM_PREFIX: Record<string, string> = { monitoring: 'cloudwatch' };

function grantedActions(): string[] {
  const text = readFileSync(join(import.meta.dirname, '../../serverless.yml'), 'utf8');
  // CloudFormation's short tags (!Sub, !GetAtt) are kept as plain values: only the actions matter here.
  const document = parseDocument(text, { logLevel: 'silent' }).toJS() as {
    provider: { iam: { role: { statements: { Effect: string; Action: string[] }[] } } };
  };
  return document.provider.iam.role.statements.flatMap((statement) => {
    expect(statement.Effect).toBe('Allow');
    return statement.Action;
  });
}

describe('the AWS IAM statements', () => {
  it('grant exactly the calls the adapters make, as the wire saw them', { timeout: 60_000 }, async () => {
    const caller = createAwsCaller('act', { info() {}, warn() {} });
    // SageMaker: a variant under an AAS target (read, scale, roll a new type, give the target back).
    fake.aws.sagemaker.addEndpoint('iam-ep', 'AllTraffic', 'ml.g5.xlarge', 2);
    fake.aws.sagemaker.addScalableTarget(
      'endpoint/iam-ep/variant/AllTraffic',
      'sagemaker:variant:DesiredInstanceCount',
      1,
      8,
    );
    const endpoint = fake.actuator(endpointTarget('iam-ep'));
    await endpoint.readCapacity('t');
    await endpoint.setCapacity({ poolId: 'primary', desired: 3 });
    fake.aws.advance();
    await endpoint.changeInstanceType({ poolId: 'primary', toInstanceType: 'ml.g5.2xlarge', count: 3 });
    await createApplicationAutoScalingGuard({
      clients: fake.clients,
      scope: { region: 'us-east-1' },
      caller,
      now: Date.now,
    }).restore({
      resourceId: 'endpoint/iam-ep/variant/AllTraffic',
      dimension: 'sagemaker:variant:DesiredInstanceCount',
    });
    // An inference component, and a checkpoint to an EventBridge bus, in another account (a role to assume).
    fake.aws.sagemaker.addEndpoint('iam-ic-ep', 'AllTraffic', 'ml.g5.xlarge', 1);
    fake.aws.sagemaker.components.set('iam-ic', {
      InferenceComponentName: 'iam-ic',
      EndpointName: 'iam-ic-ep',
      VariantName: 'AllTraffic',
      InferenceComponentStatus: 'InService',
      RuntimeConfig: { DesiredCopyCount: 1, CurrentCopyCount: 1 },
    });
    const component = fake.actuator({
      ...endpointTarget('iam-ic-ep', { inferenceComponentName: 'iam-ic' }),
      resource: {
        provider: 'aws',
        roleArn: 'arn:aws:iam::210987654321:role/tide-actuator',
        sagemakerEndpoint: { endpointName: 'iam-ic-ep', inferenceComponentName: 'iam-ic' },
        checkpoint: { type: 'eventbridge', eventBus: 'training' },
      },
    });
    await component.readCapacity('t');
    await component.setCapacity({ poolId: 'primary', desired: 0 });
    await component.requestCheckpoint({ jobId: 'j', instanceIds: [], deadlineAt: Date.now() + 60_000 });
    expect(fake.aws.assumedRoles).toContain('arn:aws:iam::210987654321:role/tide-actuator');
    // EC2 Auto Scaling: read, scale, launch, release, warm pool, failed launches.
    const group = fake.aws.ec2.addGroup('iam-asg', 'g5.12xlarge', 2);
    const groups = fake.actuator(groupsTarget({ 'g5-spot': 'iam-asg' })) as AutoScalingGroupsActuator;
    await groups.readCapacity('train');
    await groups.setCapacity({ poolId: 'g5-spot', desired: 3 });
    await groups.launchCapacity({
      poolId: 'g5-spot',
      instanceType: 'g5.12xlarge',
      capacityType: 'spot',
      count: 1,
      idempotencyKey: 'iam:0',
    });
    await groups.drainAndRelease({ poolId: 'g5-spot', instanceId: group.instances[0]?.InstanceId as string });
    await groups.sizeWarmPool('g5-spot', 1);
    await groups.capacityErrors(0);
    // The tick: metrics and spot prices.
    const withMetric = TargetSchema.parse({
      ...endpointTarget('iam-ep'),
      resource: {
        provider: 'aws',
        sagemakerEndpoint: { endpointName: 'iam-ep' },
        metrics: { gpu: { namespace: 'AWS/SageMaker', metricName: 'GPUUtilization' } },
      },
    });
    await readAwsMetrics([{ target: withMetric, scope: { region: 'us-east-1' } }], Date.now(), {
      clients: fake.clients,
      caller,
    });
    await createSpotPriceCache({ clients: fake.clients, caller, now: Date.now }).prices({ region: 'us-east-1' }, [
      'g5.12xlarge',
    ]);
    // Step alarms that stay in ALARM are read with DescribeAlarms (see adapters/aws/alarms.ts).
    const { readAlarmStates } = await import('../../adapters/aws/alarms.ts');
    await readAlarmStates(['tide-step'], { region: 'us-east-1' }, { clients: fake.clients, caller });

    const seen = new Set(fake.aws.server.requests.map((r) => `${IAM_PREFIX[r.service] ?? r.service}:${r.action}`));
    expect([...seen].sort()).toEqual(Object.keys(AWS_CALLS).sort());
    expect([...grantedActions()].sort()).toEqual(Object.keys(AWS_CALLS).sort());
  });
});
