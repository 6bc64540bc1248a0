/** Shared helpers for the event tests: fixture loading and the targets the fixtures are routed to. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TriggerTarget } from '../../../core/triggers/index.ts';

const FIXTURES = fileURLToPath(new URL('../../fixtures/events/', import.meta.url));

/** A fixture's text, as the function would receive the request body. */
export function fixtureText(name: string): string {
  return readFileSync(`${FIXTURES}${name}`, 'utf8');
}

/** A fixture decoded, for mutation. */
export function fixtureJson(name: string): unknown {
  return JSON.parse(fixtureText(name));
}

/** The receive time passed to payloads that carry none of their own: 2026-03-09T13:30:00Z. */
export const RECEIVED_AT = Date.parse('2026-03-09T13:30:00Z');

/** A target with triggers, in the manner a policy lists them. */
function target(targetId: string, triggers: TriggerTarget['triggers']): TriggerTarget {
  return { targetId, triggers };
}

/** The fleet the fixtures are routed to: one event may feed several of these, or none. */
export const FLEET: TriggerTarget[] = [
  target('llama-endpoint', [
    { source: 'aws-cloudwatch', alarmName: 'tide-llama-endpoint-*', metric: 'concurrent_requests_per_replica' },
    { source: 'alertmanager', dimensions: { deployment: 'llama-serve' } },
    { source: 'gcp-monitoring', dimensions: { 'tide-target': 'llama-endpoint' }, metric: 'cpu_utilization' },
    { source: 'schedule', alarmName: 'tide-market-open' },
  ]),
  target('cpu-fleet', [
    { source: 'aws-cloudwatch', dimensions: { InstanceId: 'i-12345678901234567' } },
    // Azure ids differ in case between the rule and the alert: compared case-insensitively.
    {
      source: 'azure-monitor',
      resourceId:
        '/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/PipelineAlertRG/providers/Microsoft.Compute/virtualMachines/WCUS-R2-Gen2',
    },
  ]),
  target('a100-training', [
    { source: 'cloudevents', dimensions: { pool: 'a100-spot' } },
    {
      source: 'aws-ec2',
      kinds: ['spot-interruption', 'rebalance-recommendation'],
      dimensions: { region: 'us-east-2' },
    },
    { source: 'aws-sagemaker', dimensions: { 'tide:target': 'llama-training' } },
    { source: 'gcp-compute', resourceId: 'projects/ml-prod/zones/us-central1-a/instances/tide-a100-spot-*' },
    { source: 'gcp-vertex', dimensions: { 'tide-target': 'vertex-a100-pool' } },
    { source: 'azure-ml', dimensions: { 'tide-target': 'aml-a100-pool' } },
    { source: 'azure-scheduled-events', resourceId: '/subscriptions/*/virtualMachineScaleSets/tide-nc24-spot/*' },
  ]),
  target('spark-pool', [{ source: 'cloudevents', resourceId: 'spark://emr-gpu.example.internal:7077' }]),
  target('fleet-wide-ticks', [
    { source: 'schedule' },
    { source: 'aws-cloudwatch', alarmName: 'tide-gpu-fleet-*', metric: 'gpu_utilization' },
  ]),
];
