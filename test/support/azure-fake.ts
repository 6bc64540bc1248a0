/**
 * A local Azure Resource Manager endpoint over HTTPS (Azure's bearer token policy refuses plain HTTP; the
 * certificate is made at test time, test/support/tls.ts) that speaks the ARM REST APIs the official clients
 * send (shared/CLOUD-SDKS.md): Compute scale sets and their VMs, Azure ML online endpoints and deployments,
 * Azure Monitor autoscale settings and metrics. It keeps a small model of them, answers changes as
 * long-running operations (`Azure-AsyncOperation`, and `Location` where ARM sends it), records every request,
 * and injects faults on demand: 429 with `Retry-After`, 409 conflicts, 5xx, 403, connection resets, slow
 * answers, and allocation, quota and sku errors (at once, or on an operation and its instances).
 *
 * Time only moves when the test says so (`advance()`): operations finish, instances boot, so a test can
 * observe an operation over several ticks without waiting on a clock.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { makeTestPki, type TestPki } from './tls.ts';

export interface FakeVm {
  instanceId: string;
  name: string;
  sku: string;
  provisioningState: 'Creating' | 'Succeeded' | 'Failed' | 'Deleting' | 'Updating';
  power: 'starting' | 'running' | 'stopping' | 'deallocated';
  /** Why provisioning failed (allocation, quota). */
  error?: { code: string; message: string };
}

export interface FakeScaleSet {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  sku: { name: string; tier: string; capacity: number };
  orchestrationMode: 'Uniform' | 'Flexible';
  priority: 'Regular' | 'Spot';
  upgradeMode: 'Manual' | 'Automatic' | 'Rolling';
  provisioningState: 'Succeeded' | 'Updating';
  tags: Record<string, string>;
  vms: FakeVm[];
  nextInstance: number;
  /**
   * The scale set's own version, its etag: ARM gives each resource an etag that changes when that resource
   * changes (its model, capacity or provisioning state), not when another resource does.
   */
  version: number;
  /** Its `uniqueId`, fixed at creation. */
  uniqueId: string;
}

export interface FakeDeployment {
  name: string;
  instanceType: string;
  capacity: number;
  provisioningState: 'Creating' | 'Updating' | 'Succeeded' | 'Failed' | 'Deleting';
  tags?: Record<string, string>;
}

export interface FakeOnlineEndpoint {
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
  name: string;
  location: string;
  traffic: Record<string, number>;
  provisioningState: 'Succeeded' | 'Updating';
  deployments: Map<string, FakeDeployment>;
}

export interface FakeAutoscaleSetting {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  targetResourceUri: string;
  enabled: boolean;
}

export interface RecordedRequest {
  method: string;
  /** Path without the query. */
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: unknown;
}

/** A fault for the next matching requests: an HTTP error, a reset connection, or a slow answer. */
export interface Fault {
  match: (request: RecordedRequest) => boolean;
  kind: 'http' | 'reset' | 'slow';
  status?: number;
  /** ARM error code and message for the body `{"error":{"code","message"}}`. */
  code?: string;
  message?: string;
  headers?: Record<string, string>;
  delayMs?: number;
  /** How many matching requests it applies to (default 1). */
  times?: number;
}

interface Operation {
  id: string;
  status: 'InProgress' | 'Succeeded' | 'Failed';
  error?: { code: string; message: string };
  /** Runs at advance(); returns an error to fail the operation. */
  finish: () => { code: string; message: string } | undefined;
}

export interface AzureFake {
  /** `https://127.0.0.1:<port>` */
  url: string;
  /** The CA the clients must trust. */
  ca: string;
  requests: RecordedRequest[];
  scaleSets: Map<string, FakeScaleSet>;
  endpoints: Map<string, FakeOnlineEndpoint>;
  autoscaleSettings: FakeAutoscaleSetting[];
  /** Metric name → value of the newest point. */
  metrics: Map<string, number>;
  /** Scale set name → the error its new instances fail with until cleared (allocation, quota). */
  allocationFailures: Map<string, { code: string; message: string }>;
  addScaleSet(
    set: Partial<Omit<FakeScaleSet, 'vms' | 'nextInstance' | 'sku'>> & { name: string; sku: string; capacity: number },
  ): FakeScaleSet;
  addEndpoint(endpoint: {
    name: string;
    workspace?: string;
    deployment: string;
    instanceType: string;
    capacity: number;
  }): FakeOnlineEndpoint;
  inject(fault: Fault): void;
  clearFaults(): void;
  /** Operations still in progress. */
  pendingOperations(): number;
  /** Finish every operation in progress, boot new instances, remove deleted ones (one "tick" of the cloud). */
  advance(): void;
  close(): Promise<void>;
}

export const SUBSCRIPTION = '00000000-0000-0000-0000-0000000000a1';
export const RESOURCE_GROUP = 'rg-gpu';
const LOCATION = 'eastus';

const VMSS_PATH =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/virtualMachineScaleSets\/([^/]+)(\/delete|\/virtualMachines)?$/i;
const VMS_PATH = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/virtualMachines$/i;
const OP_PATH =
  /^\/subscriptions\/([^/]+)\/providers\/([^/]+)\/locations\/([^/]+)\/(?:operations|mfeOperationsStatus)\/([^/]+)$/i;
const ENDPOINT_PATH =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.MachineLearningServices\/workspaces\/([^/]+)\/onlineEndpoints\/([^/]+)(?:\/deployments\/([^/]+))?$/i;
const AUTOSCALE_PATH =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Insights\/autoscalesettings(?:\/([^/]+))?$/i;
const METRICS_PATH = /^(\/subscriptions\/.+)\/providers\/Microsoft\.Insights\/metrics$/i;

/** Options of {@link startAzureFake}. */
export interface AzureFakeOptions {
  /**
   * Called with each request before it is answered (after it is recorded): a bench steps the cloud's time
   * here (`advance()`), so a change Tide made is seen done by a later read wherever the fake runs.
   */
  beforeAnswer?: (request: RecordedRequest) => void;
}

/** Start the endpoint on 127.0.0.1, a free port, with a fresh certificate (or the PKI given). */
export async function startAzureFake(pki: TestPki = makeTestPki(), options: AzureFakeOptions = {}): Promise<AzureFake> {
  const requests: RecordedRequest[] = [];
  const scaleSets = new Map<string, FakeScaleSet>();
  const endpoints = new Map<string, FakeOnlineEndpoint>();
  const autoscaleSettings: FakeAutoscaleSetting[] = [];
  const metrics = new Map<string, number>();
  const allocationFailures = new Map<string, { code: string; message: string }>();
  const faults: Fault[] = [];
  const operations = new Map<string, Operation>();
  let sequence = 0;
  let origin = '';

  const vmssId = (set: FakeScaleSet) =>
    `/subscriptions/${set.subscriptionId}/resourceGroups/${set.resourceGroup}/providers/Microsoft.Compute/virtualMachineScaleSets/${set.name}`;
  const endpointId = (ep: FakeOnlineEndpoint) =>
    `/subscriptions/${ep.subscriptionId}/resourceGroups/${ep.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${ep.workspace}/onlineEndpoints/${ep.name}`;

  const startOperation = (
    provider: string,
    finish: Operation['finish'],
  ): { id: string; headers: Record<string, string> } => {
    const id = `op-${++sequence}`;
    operations.set(id, { id, status: 'InProgress', finish });
    const opPath = `/subscriptions/${SUBSCRIPTION}/providers/${provider}/locations/${LOCATION}/${provider.endsWith('MachineLearningServices') ? 'mfeOperationsStatus' : 'operations'}/${id}`;
    return {
      id,
      headers: {
        'azure-asyncoperation': `${origin}${opPath}?api-version=2024-01-01`,
        'retry-after': '0',
      },
    };
  };

  const vmJson = (set: FakeScaleSet, vm: FakeVm) => {
    const statuses = [
      vm.provisioningState === 'Failed'
        ? {
            code: `ProvisioningState/failed/${vm.error?.code ?? 'InternalError'}`,
            level: 'Error',
            displayStatus: 'Provisioning failed',
            message: vm.error?.message ?? '',
          }
        : { code: `ProvisioningState/${vm.provisioningState.toLowerCase()}`, level: 'Info' },
      { code: `PowerState/${vm.power}`, level: 'Info' },
    ];
    const common = {
      name: vm.name,
      location: set.location,
      properties: {
        provisioningState: vm.provisioningState,
        instanceView: { statuses },
        hardwareProfile: { vmSize: vm.sku },
      },
    };
    return set.orchestrationMode === 'Flexible'
      ? {
          ...common,
          id: `/subscriptions/${set.subscriptionId}/resourceGroups/${set.resourceGroup}/providers/Microsoft.Compute/virtualMachines/${vm.name}`,
          type: 'Microsoft.Compute/virtualMachines',
          properties: { ...common.properties, virtualMachineScaleSet: { id: vmssId(set) } },
        }
      : {
          ...common,
          id: `${vmssId(set)}/virtualMachines/${vm.instanceId}`,
          type: 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines',
          instanceId: vm.instanceId,
          sku: { name: vm.sku, tier: 'Standard' },
        };
  };

  const vmssJson = (set: FakeScaleSet) => ({
    id: vmssId(set),
    name: set.name,
    type: 'Microsoft.Compute/virtualMachineScaleSets',
    location: set.location,
    sku: set.sku,
    ...(Object.keys(set.tags).length > 0 ? { tags: set.tags } : {}),
    etag: `"${set.version}"`,
    properties: {
      orchestrationMode: set.orchestrationMode,
      provisioningState: set.provisioningState,
      upgradePolicy: {
        mode: set.upgradeMode,
        ...(set.upgradeMode === 'Rolling'
          ? { rollingUpgradePolicy: { maxBatchInstancePercent: 20, maxSurge: true } }
          : {}),
      },
      virtualMachineProfile: {
        priority: set.priority,
        ...(set.priority === 'Spot' ? { evictionPolicy: 'Delete', billingProfile: { maxPrice: -1 } } : {}),
      },
      uniqueId: set.uniqueId,
    },
  });

  const newVm = (set: FakeScaleSet): FakeVm => {
    const instanceId = String(set.nextInstance++);
    return {
      instanceId,
      name: set.orchestrationMode === 'Flexible' ? `${set.name}_${instanceId}` : `${set.name}_${instanceId}`,
      sku: set.sku.name,
      provisioningState: 'Creating',
      power: 'starting',
    };
  };

  /** Bring the set's live instances to its capacity: new ones Creating, extra ones Deleting. */
  const reconcile = (set: FakeScaleSet) => {
    const live = set.vms.filter((vm) => vm.provisioningState !== 'Deleting' && vm.provisioningState !== 'Failed');
    for (let i = live.length; i < set.sku.capacity; i++) set.vms.push(newVm(set));
    const extra = live.length - set.sku.capacity;
    for (const vm of live.slice(live.length - Math.max(0, extra))) {
      vm.provisioningState = 'Deleting';
      vm.power = 'stopping';
    }
  };

  /** The operation's end: boot or fail the new instances, remove deleted ones. */
  const settle = (set: FakeScaleSet): { code: string; message: string } | undefined => {
    const failure = allocationFailures.get(set.name);
    set.vms = set.vms.filter((vm) => vm.provisioningState !== 'Deleting');
    let failed = false;
    for (const vm of set.vms) {
      if (vm.provisioningState === 'Creating' || vm.provisioningState === 'Updating') {
        if (failure && vm.provisioningState === 'Creating') {
          vm.provisioningState = 'Failed';
          vm.power = 'deallocated';
          vm.error = failure;
          failed = true;
        } else {
          vm.provisioningState = 'Succeeded';
          vm.power = 'running';
          vm.sku = set.sku.name;
        }
      }
    }
    if (set.provisioningState !== 'Succeeded') set.version++;
    set.provisioningState = 'Succeeded';
    return failed ? failure : undefined;
  };

  const findSet = (subscription: string, group: string, name: string) => {
    const set = scaleSets.get(name);
    return set && set.subscriptionId === subscription && set.resourceGroup.toLowerCase() === group.toLowerCase()
      ? set
      : undefined;
  };

  const deploymentJson = (ep: FakeOnlineEndpoint, dep: FakeDeployment) => ({
    id: `${endpointId(ep)}/deployments/${dep.name}`,
    name: dep.name,
    type: 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments',
    location: ep.location,
    kind: 'Managed',
    sku: { name: 'Default', tier: 'Standard', capacity: dep.capacity },
    ...(dep.tags ? { tags: dep.tags } : {}),
    properties: {
      endpointComputeType: 'Managed',
      instanceType: dep.instanceType,
      model: `azureml:${dep.name}-model:1`,
      provisioningState: dep.provisioningState,
      scaleSettings: { scaleType: 'Default' },
    },
  });

  const endpointJson = (ep: FakeOnlineEndpoint) => ({
    id: endpointId(ep),
    name: ep.name,
    type: 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints',
    location: ep.location,
    kind: 'Managed',
    identity: { type: 'SystemAssigned' },
    properties: {
      authMode: 'Key',
      traffic: ep.traffic,
      provisioningState: ep.provisioningState,
      scoringUri: `https://${ep.name}.${LOCATION}.inference.ml.azure.com/score`,
    },
  });

  type Reply = { status: number; body?: unknown; headers?: Record<string, string> };
  const armError = (status: number, code: string, message: string): Reply => ({
    status,
    body: { error: { code, message } },
  });

  const route = (request: RecordedRequest): Reply => {
    const { method, path } = request;
    let m = OP_PATH.exec(path);
    if (m && method === 'GET') {
      const op = operations.get(m[4]!);
      if (!op) return armError(404, 'NotFound', `no operation ${m[4]}`);
      return {
        status: 200,
        body: {
          name: op.id,
          status: op.status,
          startTime: '2026-11-29T20:00:00Z',
          ...(op.error ? { error: op.error } : {}),
        },
      };
    }
    m = VMSS_PATH.exec(path);
    if (m) {
      const set = findSet(m[1]!, m[2]!, m[3]!);
      if (!set)
        return armError(
          404,
          'ResourceNotFound',
          `The Resource 'Microsoft.Compute/virtualMachineScaleSets/${m[3]}' under resource group '${m[2]}' was not found.`,
        );
      const sub = m[4]?.toLowerCase();
      if (!sub && method === 'GET') return { status: 200, body: vmssJson(set) };
      if (!sub && method === 'PATCH') {
        const body = (request.body ?? {}) as {
          sku?: { capacity?: number; name?: string };
          tags?: Record<string, string>;
        };
        const sku = body.sku ?? {};
        // ARM replaces the whole tags object on a PATCH that carries one.
        if (body.tags) set.tags = { ...body.tags };
        if (sku.name && sku.name !== set.sku.name) {
          if (allocationFailures.get(set.name)?.code === 'SkuNotAvailable')
            return armError(
              409,
              'SkuNotAvailable',
              `The requested VM size ${sku.name} is not available in location '${LOCATION}'.`,
            );
          set.sku.name = sku.name;
          for (const vm of set.vms) if (vm.provisioningState === 'Succeeded') vm.provisioningState = 'Updating';
        }
        if (typeof sku.capacity === 'number') set.sku.capacity = sku.capacity;
        set.provisioningState = 'Updating';
        set.version++;
        reconcile(set);
        const op = startOperation('Microsoft.Compute', () => settle(set));
        return { status: 200, body: vmssJson(set), headers: op.headers };
      }
      if (sub === '/delete' && method === 'POST') {
        const ids = ((request.body ?? {}) as { instanceIds?: string[] }).instanceIds ?? [];
        for (const id of ids) {
          const vm = set.vms.find((candidate) =>
            set.orchestrationMode === 'Flexible' ? candidate.name === id : candidate.instanceId === id,
          );
          if (!vm) return armError(404, 'NotFound', `instance ${id} is not in scale set ${set.name}`);
          vm.provisioningState = 'Deleting';
          vm.power = 'stopping';
        }
        set.sku.capacity = Math.max(0, set.sku.capacity - ids.length);
        set.version++;
        const op = startOperation('Microsoft.Compute', () => settle(set));
        return { status: 202, headers: { ...op.headers, location: op.headers['azure-asyncoperation']! } };
      }
      if (sub === '/virtualmachines' && method === 'GET') {
        if (set.orchestrationMode === 'Flexible')
          return armError(400, 'OperationNotAllowed', 'VMSS VM list is not supported for Flexible orchestration mode');
        return { status: 200, body: { value: set.vms.map((vm) => vmJson(set, vm)) } };
      }
    }
    m = VMS_PATH.exec(path);
    if (m && method === 'GET') {
      const filter = request.query.get('$filter') ?? '';
      const set = [...scaleSets.values()].find((candidate) => filter.includes(`'${vmssId(candidate)}'`));
      return { status: 200, body: { value: set ? set.vms.map((vm) => vmJson(set, vm)) : [] } };
    }
    m = ENDPOINT_PATH.exec(path);
    if (m) {
      const ep = endpoints.get(`${m[3]}/${m[4]}`);
      if (!ep) return armError(404, 'ResourceNotFound', `online endpoint ${m[4]} not found`);
      const depName = m[5];
      if (!depName) {
        if (method === 'GET') return { status: 200, body: endpointJson(ep) };
        if (method === 'PUT') {
          const traffic = ((request.body ?? {}) as { properties?: { traffic?: Record<string, number> } }).properties
            ?.traffic;
          if (traffic) {
            const sum = Object.values(traffic).reduce((a, b) => a + b, 0);
            if (sum !== 100 && sum !== 0)
              return armError(400, 'BadArgument', `traffic must add up to 100, was: ${sum}`);
            for (const name of Object.keys(traffic))
              if (!ep.deployments.has(name)) return armError(400, 'BadArgument', `no deployment ${name}`);
            ep.traffic = traffic;
          }
          ep.provisioningState = 'Updating';
          const op = startOperation('Microsoft.MachineLearningServices', () => {
            ep.provisioningState = 'Succeeded';
            return undefined;
          });
          return { status: 201, body: endpointJson(ep), headers: op.headers };
        }
      }
      if (depName) {
        const dep = ep.deployments.get(depName);
        if (method === 'GET') {
          if (!dep) return armError(404, 'ResourceNotFound', `deployment ${depName} not found`);
          return { status: 200, body: deploymentJson(ep, dep) };
        }
        if (method === 'PATCH') {
          if (!dep) return armError(404, 'ResourceNotFound', `deployment ${depName} not found`);
          const patch = (request.body ?? {}) as { sku?: { capacity?: number }; tags?: Record<string, string> };
          const capacity = patch.sku?.capacity;
          if (typeof capacity === 'number') dep.capacity = capacity;
          if (patch.tags) dep.tags = { ...patch.tags };
          dep.provisioningState = 'Updating';
          const op = startOperation('Microsoft.MachineLearningServices', () => {
            dep.provisioningState = 'Succeeded';
            return undefined;
          });
          return { status: 202, headers: { ...op.headers, location: op.headers['azure-asyncoperation']! } };
        }
        if (method === 'PUT') {
          const body = (request.body ?? {}) as { sku?: { capacity?: number }; properties?: { instanceType?: string } };
          const created: FakeDeployment = {
            name: depName,
            instanceType: String(body.properties?.instanceType ?? ''),
            capacity: Number(body.sku?.capacity ?? 1),
            provisioningState: 'Creating',
          };
          const failure = allocationFailures.get(depName) ?? allocationFailures.get(created.instanceType);
          ep.deployments.set(depName, created);
          ep.traffic[depName] ??= 0;
          const op = startOperation('Microsoft.MachineLearningServices', () => {
            created.provisioningState = failure ? 'Failed' : 'Succeeded';
            return failure;
          });
          return { status: 201, body: deploymentJson(ep, created), headers: op.headers };
        }
        if (method === 'DELETE') {
          if (!dep) return { status: 204 };
          if ((ep.traffic[depName] ?? 0) > 0)
            return armError(
              400,
              'BadArgument',
              `deployment ${depName} still takes ${ep.traffic[depName]}% of the traffic`,
            );
          dep.provisioningState = 'Deleting';
          const op = startOperation('Microsoft.MachineLearningServices', () => {
            ep.deployments.delete(depName);
            delete ep.traffic[depName];
            return undefined;
          });
          return { status: 202, headers: { ...op.headers, location: op.headers['azure-asyncoperation']! } };
        }
      }
    }
    m = AUTOSCALE_PATH.exec(path);
    if (m) {
      const settings = autoscaleSettings.filter(
        (s) => s.subscriptionId === m![1] && s.resourceGroup.toLowerCase() === m![2]!.toLowerCase(),
      );
      const json = (s: FakeAutoscaleSetting) => ({
        id: `/subscriptions/${s.subscriptionId}/resourceGroups/${s.resourceGroup}/providers/microsoft.insights/autoscalesettings/${s.name}`,
        name: s.name,
        type: 'Microsoft.Insights/autoscaleSettings',
        location: LOCATION,
        properties: {
          name: s.name,
          enabled: s.enabled,
          targetResourceUri: s.targetResourceUri,
          profiles: [{ name: 'default', capacity: { minimum: '1', maximum: '10', default: '1' }, rules: [] }],
        },
      });
      if (!m[3] && method === 'GET') return { status: 200, body: { value: settings.map(json) } };
      const setting = settings.find((s) => s.name === m![3]);
      if (!setting) return armError(404, 'ResourceNotFound', `autoscale setting ${m[3]} not found`);
      if (method === 'PATCH') {
        const enabled = ((request.body ?? {}) as { properties?: { enabled?: boolean } }).properties?.enabled;
        if (typeof enabled === 'boolean') setting.enabled = enabled;
        return { status: 200, body: json(setting) };
      }
      if (method === 'GET') return { status: 200, body: json(setting) };
    }
    m = METRICS_PATH.exec(path);
    if (m && method === 'GET') {
      const names = (request.query.get('metricnames') ?? '').split(',').filter(Boolean);
      const aggregation = (request.query.get('aggregation') ?? 'Average').toLowerCase();
      return {
        status: 200,
        body: {
          cost: 0,
          timespan: request.query.get('timespan') ?? '',
          interval: request.query.get('interval') ?? 'PT1M',
          namespace: 'Microsoft.Compute/virtualMachineScaleSets',
          resourceregion: LOCATION,
          value: names.map((name) => ({
            id: `${m![1]}/providers/Microsoft.Insights/metrics/${name}`,
            type: 'Microsoft.Insights/metrics',
            name: { value: name, localizedValue: name },
            unit: 'Percent',
            errorCode: 'Success',
            timeseries: metrics.has(name)
              ? [
                  {
                    metadatavalues: [],
                    data: [
                      { timeStamp: '2026-11-29T19:58:00Z' },
                      { timeStamp: '2026-11-29T19:59:00Z', [aggregation]: metrics.get(name) },
                    ],
                  },
                ]
              : [],
          })),
        },
      };
    }
    return armError(404, 'NoRoute', `the fake does not serve ${method} ${path}`);
  };

  const server: Server = createServer({ key: pki.serverKey, cert: pki.serverCert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      // `//subscriptions/…` (a resource id after a slash) is a path here, not a protocol-relative URL.
      const url = new URL((req.url ?? '/').replace(/^\/+/, '/'), 'https://127.0.0.1');
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      const request: RecordedRequest = {
        method: req.method ?? 'GET',
        path: decodeURIComponent(url.pathname),
        query: url.searchParams,
        headers: req.headers,
        body,
      };
      requests.push(request);
      options.beforeAnswer?.(request);
      const index = faults.findIndex((fault) => fault.match(request));
      const fault = index >= 0 ? faults[index] : undefined;
      if (fault) {
        fault.times = (fault.times ?? 1) - 1;
        if (fault.times <= 0) faults.splice(index, 1);
        if (fault.kind === 'reset') {
          req.socket.destroy();
          return;
        }
        if (fault.kind === 'http') {
          send(res, {
            status: fault.status ?? 500,
            body: { error: { code: fault.code ?? 'InternalServerError', message: fault.message ?? 'injected fault' } },
            headers: fault.headers ?? {},
          });
          return;
        }
        setTimeout(() => send(res, route(request)), fault.delayMs ?? 1_000).unref();
        return;
      }
      send(res, route(request));
    });
  });

  const send = (res: ServerResponse, reply: { status: number; body?: unknown; headers?: Record<string, string> }) => {
    if (res.destroyed) return;
    const headers: Record<string, string> = { 'x-ms-request-id': `req-${sequence}`, ...(reply.headers ?? {}) };
    if (reply.body !== undefined) headers['content-type'] = 'application/json; charset=utf-8';
    res.writeHead(reply.status, headers);
    res.end(reply.body === undefined ? undefined : JSON.stringify(reply.body));
  };

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  origin = `https://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  return {
    url: origin,
    ca: pki.caCert,
    requests,
    scaleSets,
    endpoints,
    autoscaleSettings,
    metrics,
    allocationFailures,
    addScaleSet(spec) {
      const set: FakeScaleSet = {
        subscriptionId: spec.subscriptionId ?? SUBSCRIPTION,
        resourceGroup: spec.resourceGroup ?? RESOURCE_GROUP,
        name: spec.name,
        location: spec.location ?? LOCATION,
        sku: { name: spec.sku, tier: 'Standard', capacity: spec.capacity },
        orchestrationMode: spec.orchestrationMode ?? 'Uniform',
        priority: spec.priority ?? 'Regular',
        upgradeMode: spec.upgradeMode ?? 'Manual',
        provisioningState: 'Succeeded',
        tags: {},
        vms: [],
        nextInstance: 0,
        version: 1,
        uniqueId: `00000000-0000-0000-0000-${String(scaleSets.size + 1).padStart(12, '0')}`,
      };
      for (let i = 0; i < spec.capacity; i++) {
        const vm = newVm(set);
        vm.provisioningState = 'Succeeded';
        vm.power = 'running';
        set.vms.push(vm);
      }
      scaleSets.set(set.name, set);
      return set;
    },
    addEndpoint(spec) {
      const ep: FakeOnlineEndpoint = {
        subscriptionId: SUBSCRIPTION,
        resourceGroup: RESOURCE_GROUP,
        workspace: spec.workspace ?? 'ws-ml',
        name: spec.name,
        location: LOCATION,
        traffic: { [spec.deployment]: 100 },
        provisioningState: 'Succeeded',
        deployments: new Map([
          [
            spec.deployment,
            {
              name: spec.deployment,
              instanceType: spec.instanceType,
              capacity: spec.capacity,
              provisioningState: 'Succeeded',
            },
          ],
        ]),
      };
      endpoints.set(`${ep.workspace}/${ep.name}`, ep);
      return ep;
    },
    inject: (fault) => void faults.push(fault),
    clearFaults: () => void faults.splice(0),
    pendingOperations: () => [...operations.values()].filter((op) => op.status === 'InProgress').length,
    advance() {
      for (const op of operations.values()) {
        if (op.status !== 'InProgress') continue;
        const error = op.finish();
        op.status = error ? 'Failed' : 'Succeeded';
        if (error) op.error = error;
      }
      for (const set of scaleSets.values()) if (set.provisioningState === 'Succeeded') settle(set);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
