/**
 * The cloud of `npm run bench:e2e -- --cloud aws`: the wire-level fake's SageMaker and Application Auto
 * Scaling (test/support/aws) with the bench's endpoints. The cloud's time steps once per DescribeEndpoint it
 * answers, before answering: an update in progress moves on each time a decision observes it, so it ends
 * after a few events, and the same in whichever process the fake runs (no message per event to step it).
 */
import { SageMakerModel } from '../../../test/support/aws/sagemaker-model.ts';
import { startAwsWireServer } from '../../../test/support/aws/wire-server.ts';
import { TARGETS } from './workload.ts';
import type { BenchFake } from './types.ts';

/** A call that changes something: the rest (Describe…, List…, Get…) only read. */
const WRITE = /^(Update|Register|Deregister|Put|Delete|Create|Set|Terminate|Suspend|Resume)/;

export async function startBenchAws(): Promise<BenchFake> {
  const sagemaker = new SageMakerModel();
  for (let i = 0; i < TARGETS; i++) sagemaker.addEndpoint(`bench-${i}`, 'AllTraffic', 'ml.g5.2xlarge', 2);
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
  const writes = () => server.requests.filter((request) => WRITE.test(request.action)).length;
  return {
    url: server.url,
    reads: () => server.requests.length - writes(),
    writes,
    close: () => server.close(),
  };
}
