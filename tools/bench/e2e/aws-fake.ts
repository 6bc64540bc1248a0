/**
 * The cloud of `npm run bench:e2e -- --cloud aws`: the wire-level fake's SageMaker and Application Auto
 * Scaling (test/support/aws) with the bench's endpoints. The cloud's time steps once per DescribeEndpoint it
 * answers, before answering: an update in progress moves on each time a decision observes it, so it ends
 * after a few events, and the same in whichever process the fake runs (no message per event to step it).
 */
import { SageMakerModel } from '../../../test/support/aws/sagemaker-model.ts';
import { startAwsWireServer } from '../../../test/support/aws/wire-server.ts';

export interface BenchEndpoint {
  name: string;
  variant: string;
  type: string;
  count: number;
}

export async function startBenchAws(endpoints: BenchEndpoint[]) {
  const sagemaker = new SageMakerModel();
  for (const e of endpoints) sagemaker.addEndpoint(e.name, e.variant, e.type, e.count);
  const server = await startAwsWireServer({
    sagemaker: (action, params) => {
      const output = sagemaker.handleSageMaker(action, params);
      const endpoint = sagemaker.endpoints.get(String(params.EndpointName));
      if (action === 'UpdateEndpointWeightsAndCapacities')
        for (let step = 0; step < 1000 && endpoint?.EndpointStatus === 'Updating'; step++) sagemaker.advance();
      return output;
    },
    'application-autoscaling': sagemaker.handleApplicationAutoScaling,
  });
  return {
    url: server.url,
    requests: () => server.requests.length,
    actions: () => server.calls('sagemaker', 'UpdateEndpointWeightsAndCapacities').length,
    close: () => server.close(),
  };
}
