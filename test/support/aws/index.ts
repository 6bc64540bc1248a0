import { Ec2Model } from './ec2-model.ts';
import { SageMakerModel } from './sagemaker-model.ts';
import { startAwsWireServer, type AwsWireServer } from './wire-server.ts';

import { AwsWireError } from './wire-server.ts';

export { AwsWireError, type Fault, type RecordedRequest } from './wire-server.ts';

/** The whole local AWS: the wire endpoint plus the models behind it. */
export interface FakeAws {
  server: AwsWireServer;
  sagemaker: SageMakerModel;
  ec2: Ec2Model;
  /** Roles assumed through STS AssumeRole, in order. */
  assumedRoles: string[];
  /** One step of the cloud's own time (updates progress, instances boot, AAS policies act). */
  advance(): void;
  close(): Promise<void>;
}

/** Start a local AWS on 127.0.0.1 (port 0). Point clients at it with `AWS_ENDPOINT_URL=fake.server.url`. */
export async function startFakeAws(): Promise<FakeAws> {
  const sagemaker = new SageMakerModel();
  const ec2 = new Ec2Model();
  const assumedRoles: string[] = [];
  const server = await startAwsWireServer({
    sagemaker: sagemaker.handleSageMaker,
    'application-autoscaling': sagemaker.handleApplicationAutoScaling,
    autoscaling: ec2.handleAutoScaling,
    ec2: ec2.handleEc2,
    monitoring: ec2.handleCloudWatch,
    events: ec2.handleEventBridge,
    sts: (action, params) => {
      if (action !== 'AssumeRole') throw new AwsWireError('InvalidAction', `the fake does not serve STS ${action}`);
      assumedRoles.push(String(params.RoleArn));
      return {
        Credentials: {
          AccessKeyId: 'ASIAFAKE',
          SecretAccessKey: 'assumed-secret',
          SessionToken: 'assumed-token',
          Expiration: new Date(Date.now() + 3600_000),
        },
        AssumedRoleUser: { AssumedRoleId: 'AROAFAKE:tide', Arn: `${String(params.RoleArn)}/tide` },
      };
    },
  });
  return {
    server,
    sagemaker,
    ec2,
    assumedRoles,
    advance() {
      sagemaker.advance();
      ec2.advance();
    },
    close: () => server.close(),
  };
}
