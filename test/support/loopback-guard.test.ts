import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { blockedConnections } from './loopback-guard.ts';

// The guard is installed for every test file by vitest.config.ts (test/support/network-guard-setup.ts).
describe('the loopback guard in every test file', () => {
  it.each([
    ['169.254.169.254', 80],
    ['sagemaker.us-east-1.amazonaws.com', 443],
    ['10.0.0.1', 6379],
  ])('refuses a connection to %s', (host, port) => {
    expect(() => connect({ host, port })).toThrow(`a connection to ${host} was attempted`);
    expect(blockedConnections).toContain(host);
  });
  it('lets loopback through (a refused port, not the guard)', async () => {
    const error = await new Promise<Error>((resolve) => connect({ host: '127.0.0.1', port: 1 }).on('error', resolve));
    expect(error.message).not.toMatch(/loopback guard/);
  });
  it('stops the AWS SDK from reaching a real endpoint', async () => {
    const { SageMakerClient, DescribeEndpointCommand } = await import('@aws-sdk/client-sagemaker');
    const client = new SageMakerClient({
      region: 'us-east-1',
      endpoint: 'https://sagemaker.us-east-1.amazonaws.com',
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      maxAttempts: 1,
    });
    await expect(client.send(new DescribeEndpointCommand({ EndpointName: 'e' }))).rejects.toThrow(/loopback guard/);
  });
});
