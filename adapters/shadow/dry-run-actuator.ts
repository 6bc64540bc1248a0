/**
 * Dry-run mode: Tide reads the real cloud (the provider adapter's `readCapacity`, its describe calls only)
 * and, for every write, logs the call it would make and changes nothing. It sits between shadow mode (reads
 * nothing, changes nothing) and act, so a deployment can be checked against real capacity before it acts.
 */
import type { Target } from '../../core/schema/target.ts';
import type { ActuatorPort, ActuatorRequest, ActuatorResolver } from '../ports/actuator.ts';
import type { Logger } from '../ports/logger.ts';

/** Wrap a resolver of real ports: reads pass through, writes are logged as `dry-run: would call …`. */
export function dryRunResolver(real: ActuatorResolver, logger: Pick<Logger, 'info'>): ActuatorResolver {
  return (target: Target): ActuatorPort => {
    const port = real(target);
    const would =
      (call: string) =>
      async (request: ActuatorRequest): Promise<void> => {
        logger.info(`dry-run: would call ${call}`, { targetId: target.id, provider: target.provider, call, request });
      };
    return {
      readCapacity: (targetId) => port.readCapacity(targetId),
      setCapacity: would('setCapacity'),
      changeInstanceType: would('changeInstanceType'),
      launchCapacity: async (request) => {
        await would('launchCapacity')(request);
        return [];
      },
      drainAndRelease: would('drainAndRelease'),
      requestCheckpoint: would('requestCheckpoint'),
    };
  };
}
