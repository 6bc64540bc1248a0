/**
 * An actuator port whose provider adapter is loaded at its first call. A function in shadow mode (the default)
 * never acts, and one that acts does so on a fraction of its events, so a cloud's adapters are a chunk of their
 * own in its function bundle, not part of every cold start (issue 18), as adapters/aws/lazy.ts does for AWS.
 * A failed load is not kept: the next call tries again. An error the adapter's constructor throws (a target
 * that names nothing the cloud can scale) is the first call's, with the same type.
 */
import type { ActuatorPort } from './actuator.ts';

/** A port that makes its actuator with `load()` at the first call, then forwards every call to it. */
export function actuatorAtFirstCall(load: () => Promise<ActuatorPort>): ActuatorPort {
  let made: Promise<ActuatorPort> | undefined;
  const port = () =>
    (made ??= load().catch((error: unknown) => {
      made = undefined;
      throw error;
    }));
  return {
    readCapacity: async (targetId) => (await port()).readCapacity(targetId),
    setCapacity: async (request) => (await port()).setCapacity(request),
    changeInstanceType: async (request) => (await port()).changeInstanceType(request),
    launchCapacity: async (request) => (await port()).launchCapacity(request),
    drainAndRelease: async (request) => (await port()).drainAndRelease(request),
    requestCheckpoint: async (request) => (await port()).requestCheckpoint(request),
  };
}
