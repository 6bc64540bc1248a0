/**
 * Which clouds `tide serve --cloud NAME` can act on. Each entry makes the capacity reader and the actuator
 * port of a target; a cloud whose adapters have not landed yet has no entry, and `tide serve` says which
 * are available. The AWS, Google Cloud and Azure adapters register here when they exist.
 */
import type { ActuatorPort } from '../../adapters/ports/actuator.ts';
import type { Target } from '../../core/schema/target.ts';
import type { Clock } from '../../adapters/ports/clock.ts';
import { SimulatedFleet } from './simulated-fleet.ts';
import { GcpActuator } from '../../adapters/gcp/actuator.ts';
import { GcpClients } from '../../adapters/gcp/clients.ts';
import { gcpEndpointFromEnv } from '../../adapters/gcp/config.ts';
import { AzureActuator } from '../../adapters/azure/actuator.ts';
import { AzureClients, azureClientOptionsFromEnv } from '../../adapters/azure/clients.ts';
import { createAwsClients } from '../../adapters/aws/clients.ts';
import { createAwsActuatorFactory, releaseAwsTarget } from '../../adapters/aws/index.ts';
import { createJsonLogger } from '../../adapters/logger/json-logger.ts';
import type { ProviderRecordStore } from '../../adapters/ports/provider-records.ts';
import type { Logger } from '../../adapters/ports/logger.ts';
import type { StateStore } from '../../adapters/ports/state-store.ts';
import { runAzureTick } from '../azure/tick.ts';
import type { Shell } from '../shell/shell.ts';

export const CLOUD_NAMES = ['simulated', 'aws', 'gcp', 'azure'] as const;
export type CloudName = (typeof CLOUD_NAMES)[number];

/** What serve needs of a cloud. */
export interface CloudActuators {
  /** The actuator port for a target (its `readCapacity` is the shell's observation). */
  portFor(target: Target): ActuatorPort;
  /** Called on every tick: what happened in the cloud since, as cloud events per target (simulated only). */
  tick?(): { targetId: string; events: import('../../adapters/fake-cloud/cloud.ts').CloudEvent[] }[];
  /** After a target is deleted: give back what the cloud lent Tide (AWS: the AAS target Tide suspended). */
  released?(target: Target): Promise<void>;
  /**
   * Called on every schedule tick (60 clock seconds), after the schedule tick itself: the cloud's own tick work,
   * as its functions' timer does it (Azure: poll the operations started on earlier ticks, the next step of
   * Azure ML moves, Azure Monitor metrics, capacity errors), each signal through the shell. `tickId` names the
   * tick (its signals' event ids derive from it, so a repeated tick is idempotent).
   */
  scheduledTick?(context: CloudTickContext, tickId: string): Promise<void>;
}

/** What a cloud's scheduled tick is given of serve's runtime. */
export interface CloudTickContext {
  store: StateStore;
  shell: Shell;
  clock: Clock;
  logger: Logger;
}

/** Options every cloud factory gets. */
export interface CloudFactoryOptions {
  clock: Clock;
  /** The environment the clouds' clients are configured from (default: the process's). */
  env?: Record<string, string | undefined>;
  seed: number;
  bootSeconds?: Record<string, number>;
  /**
   * The state store's provider records (`StateStore.records`): where adapters record what must outlive one call
   * (Azure's started operations and Azure ML moves), so the scheduled tick, and a restarted serve, see them.
   */
  records?: ProviderRecordStore;
}

/** The registry: a factory per cloud that exists. */
export const CLOUD_FACTORIES: Partial<Record<CloudName, (options: CloudFactoryOptions) => CloudActuators>> = {
  simulated: (options) => {
    const fleet = new SimulatedFleet(options.clock, {
      seed: options.seed,
      initialNodes: 1,
      ...(options.bootSeconds ? { bootSeconds: options.bootSeconds } : {}),
    });
    return { portFor: (target) => fleet.portFor(target), tick: () => fleet.tick() };
  },
  // The SDK's default credential chain (environment, SSO, shared files, container and instance roles) and its
  // endpoint configuration (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>); a target's region and role from
  // its resource block. The adapters' notes go to stderr as JSON lines, beside serve's own log.
  aws: (options) => {
    const env = options.env ?? process.env;
    const clients = createAwsClients();
    const log = createJsonLogger({ write: (line) => process.stderr.write(`${line}\n`) });
    const logger = {
      info: (message: string, fields?: Record<string, unknown>) => log.info(message, fields),
      warn: (message: string, fields?: Record<string, unknown>) => log.warn(message, fields),
    };
    const now = () => options.clock.now();
    const portFor = createAwsActuatorFactory({ env, clients, now, logger });
    const released = async (target: Target) => {
      if (target.provider !== 'aws') return;
      const result = await releaseAwsTarget(target, { env, clients, now, logger });
      if (result) log.info('target deleted: Application Auto Scaling given back', { targetId: target.id, ...result });
    };
    return { portFor, released };
  },
  // Application Default Credentials; TIDE_GCP_API_ENDPOINT points the clients at another endpoint.
  gcp: (options) => {
    const clients = new GcpClients(gcpEndpointFromEnv(options.env ?? process.env));
    return { portFor: (target) => new GcpActuator(target, { clients, now: () => options.clock.now() }) };
  },
  // DefaultAzureCredential (managed identity, then environment, CLI…); TIDE_AZURE_ARM_ENDPOINT points elsewhere.
  // Operations are started and recorded in the state store's records, and polled on the scheduled tick, as the
  // Function App's timer does (functions/azure/tick.ts); serve always acts. The policies' Prometheus metrics are
  // read by serve's own source (prometheus-source.ts), not again here.
  azure: (options) => {
    const clients = new AzureClients(azureClientOptionsFromEnv(options.env ?? process.env));
    const now = () => options.clock.now();
    const operations = options.records;
    return {
      portFor: (target) => new AzureActuator(target, { clients, now, ...(operations ? { operations } : {}) }),
      async scheduledTick(context, tickId) {
        const report = await runAzureTick({ ...context, mode: 'act' }, clients, tickId, {
          prometheus: false,
          ...(operations ? { operations } : {}),
        });
        if (report.targets === 0) return;
        context.logger.info('azure tick', {
          tickId,
          targets: report.targets,
          signals: report.signals,
          notes: report.notes.slice(0, 20),
          failures: report.failures.length,
        });
      },
    };
  },
};

/** The clouds serve can act on now. */
export function availableClouds(): CloudName[] {
  return CLOUD_NAMES.filter((name) => CLOUD_FACTORIES[name] !== undefined);
}
