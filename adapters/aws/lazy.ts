/**
 * The AWS actuators, loaded when a target first needs one. A function in shadow mode (the default) never
 * acts, and one that acts does so on a fraction of its events: the adapters (and, through them, the AWS SDK
 * clients) are a chunk of their own in the function bundle, not part of every cold start (issue 18).
 * Each call loads `./index.ts` once and forwards to the same cached actuator `createAwsActuatorFactory`
 * gives; a target that names nothing AWS can scale fails its first call with the same typed error.
 */
import type { ActuatorPort } from '../ports/actuator.ts';
import type { Target } from '../../core/schema/target.ts';
import type { createAwsActuatorFactory } from './index.ts';

type FactoryConfig = Parameters<typeof createAwsActuatorFactory>[0];

/** `createAwsActuatorFactory(config)`, with the adapters imported at the first call of any actuator. */
export function createLazyAwsActuatorFactory(
  config: FactoryConfig,
): (target: Target) => ActuatorPort & { resolve(): Promise<ActuatorPort> } {
  let factory: Promise<(target: Target) => ActuatorPort> | undefined;
  const load = () => {
    factory ??= import('./index.ts').then(
      (aws) => aws.createAwsActuatorFactory(config),
      (error: unknown) => {
        factory = undefined;
        throw error;
      },
    );
    return factory;
  };
  return (target) => {
    const port = async () => (await load())(target);
    return {
      // The actuator itself, for what only AWS actuators have (the tick's capacity errors and warm pools).
      resolve: port,
      readCapacity: async (targetId) => (await port()).readCapacity(targetId),
      setCapacity: async (request) => (await port()).setCapacity(request),
      changeInstanceType: async (request) => (await port()).changeInstanceType(request),
      launchCapacity: async (request) => (await port()).launchCapacity(request),
      drainAndRelease: async (request) => (await port()).drainAndRelease(request),
      requestCheckpoint: async (request) => (await port()).requestCheckpoint(request),
    };
  };
}

/** The actuator behind a lazy port (or the port itself when it is not lazy). */
export async function resolveActuator(port: ActuatorPort): Promise<ActuatorPort> {
  const resolve = (port as { resolve?: () => Promise<ActuatorPort> }).resolve;
  return typeof resolve === 'function' ? resolve() : port;
}
