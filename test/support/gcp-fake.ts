/**
 * A local Google Cloud endpoint that speaks the REST APIs the official clients send (checked in
 * shared/CLOUD-SDKS.md): Compute Engine managed instance groups, instance templates and operations
 * (`/compute/v1/…`), GKE node pools (`/v1/projects/…/clusters/…`), Vertex AI endpoints (`/v1/…/endpoints`,
 * and `/v1beta1/…`, which alone carries scale to zero; LRO polling under `/ui/…`) and Cloud Monitoring time series (`/v3/…/timeSeries`). It keeps a small model of
 * groups, node pools and endpoints, returns long-running operations, records every request, and injects
 * faults on demand (429, 5xx, connection resets, slow answers, stockouts, quota errors).
 *
 * Time only moves when the test says so (`advance()`): instances being created become RUNNING, so a test
 * can observe an operation over several ticks without waiting on a clock.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface FakeInstance {
  name: string;
  machineType: string;
  /** RUNNING serves; PROVISIONING is being created; STOPPING is being deleted. */
  status: 'PROVISIONING' | 'RUNNING' | 'STOPPING';
  currentAction: 'NONE' | 'CREATING' | 'DELETING' | 'RECREATING';
  /** Errors of the last attempt to create it (stockout, quota). */
  errors?: { code: string; message: string }[];
}

export interface FakeMig {
  project: string;
  /** `zones/<zone>` or `regions/<region>`. */
  scope: string;
  name: string;
  targetSize: number;
  instanceTemplate: string;
  updatePolicy?: unknown;
  instances: FakeInstance[];
}

export interface FakeTemplate {
  name: string;
  properties: { machineType: string; scheduling?: { provisioningModel?: string } } & Record<string, unknown>;
}

export interface FakeNodePool {
  /** `projects/p/locations/l/clusters/c/nodePools/np`. */
  name: string;
  autoscaling: { enabled: boolean; minNodeCount?: number; maxNodeCount?: number };
  config: { machineType: string; spot?: boolean };
  /** The managed instance group behind the pool (its `instanceGroupUrls`). */
  mig: string;
}

export interface FakeDeployedModel {
  id: string;
  createTime?: string;
  model: string;
  dedicatedResources: {
    machineSpec: { machineType: string; acceleratorType?: string; acceleratorCount?: number };
    minReplicaCount: number;
    maxReplicaCount: number;
    /** v1beta1 only (scale to zero): replicas it is created with at min 0, and wakes with. */
    initialReplicaCount?: number;
    /** v1beta1 only: present when deployed with scale to zero; only then may minReplicaCount be 0. */
    scaleToZeroSpec?: { minScaleupPeriod?: string; idleScaledownPeriod?: string };
  };
  /** Replicas up (v1beta1 reads): a scale-to-zero model at min 0 idles to 0; set it to model a request waking it. */
  status?: { availableReplicaCount: number };
}

export interface FakeEndpoint {
  /** `projects/p/locations/l/endpoints/e`. */
  name: string;
  deployedModels: FakeDeployedModel[];
  trafficSplit: Record<string, number>;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  /** The request's headers, names in lower case (the credentials the client sent, its API client header). */
  headers: IncomingMessage['headers'];
}

/** A fault for the next matching request: an HTTP error, a reset connection, or a slow answer. */
export interface Fault {
  match: (request: RecordedRequest) => boolean;
  kind: 'http' | 'reset' | 'slow';
  status?: number;
  body?: unknown;
  delayMs?: number;
  /** How many matching requests it applies to (default 1). */
  times?: number;
}

/** Stockout or quota: new instances in a group fail to create with this error until cleared. */
export interface CreationFailure {
  code: 'ZONE_RESOURCE_POOL_EXHAUSTED' | 'QUOTA_EXCEEDED' | 'ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS';
  message: string;
}

export interface GcpFake {
  url: string;
  port: number;
  requests: RecordedRequest[];
  migs: Map<string, FakeMig>;
  templates: Map<string, FakeTemplate>;
  nodePools: Map<string, FakeNodePool>;
  endpoints: Map<string, FakeEndpoint>;
  /** Metric type → value the next time series answer carries. */
  metrics: Map<string, number>;
  /** Group key (`project/scope/name`) → creation failure for its new instances. */
  creationFailures: Map<string, CreationFailure>;
  addMig(mig: Omit<FakeMig, 'instances'> & { running?: number; machineType?: string }): FakeMig;
  inject(fault: Fault): void;
  clearFaults(): void;
  /** Finish pending creations and deletions (one "tick" of the cloud). */
  advance(): void;
  close(): Promise<void>;
}

export function migKey(project: string, scope: string, name: string): string {
  return `${project}/${scope}/${name}`;
}

const MIG_PATH =
  /^\/compute\/v1\/projects\/([^/]+)\/((?:zones|regions)\/[^/]+)\/instanceGroupManagers\/([^/]+)(\/[A-Za-z]+)?$/;
const TEMPLATE_PATH = /^\/compute\/v1\/projects\/([^/]+)\/global\/instanceTemplates(?:\/([^/]+))?$/;
const COMPUTE_OP_PATH =
  /^\/compute\/v1\/projects\/([^/]+)\/(global|zones\/[^/]+|regions\/[^/]+)\/operations\/([^/]+)(\/wait)?$/;
const NODE_POOL_PATH = /^\/v1\/(projects\/[^/]+\/locations\/[^/]+\/clusters\/[^/]+\/nodePools\/[^/:]+)(:[A-Za-z]+)?$/;
const GKE_OP_PATH = /^\/v1\/(projects\/[^/]+\/locations\/[^/]+\/operations\/[^/]+)$/;
const ENDPOINT_PATH = /^\/(v1|v1beta1)\/(projects\/[^/]+\/locations\/[^/]+\/endpoints\/[^/:]+)(:[A-Za-z]+)?$/;
const VERTEX_OP_PATH =
  /^\/(?:ui|v1|v1beta1)\/(projects\/[^/]+\/locations\/[^/]+\/endpoints\/[^/]+\/operations\/[^/]+)$/;

/**
 * Vertex AI's rule for zero replicas: only a model deployed with scale to zero (v1beta1 `scaleToZeroSpec`,
 * `initialReplicaCount` between 1 and max) may have minReplicaCount 0. Returns what Vertex would refuse.
 */
function vertexReplicaProblem(resources: FakeDeployedModel['dedicatedResources']): string | undefined {
  if (resources.minReplicaCount >= 1) return undefined;
  if (!resources.scaleToZeroSpec) return 'minReplicaCount must be at least 1 (scale to zero needs a scaleToZeroSpec)';
  const initial = resources.initialReplicaCount ?? 0;
  if (initial < 1 || initial > resources.maxReplicaCount)
    return `initialReplicaCount must be between 1 and maxReplicaCount (${resources.maxReplicaCount}), was: ${initial}`;
  return undefined;
}

/** What the v1 surface shows of a deployed model: v1 has no scale-to-zero fields. */
function asV1(model: FakeDeployedModel): FakeDeployedModel {
  const { initialReplicaCount: _initial, scaleToZeroSpec: _spec, ...resources } = model.dedicatedResources;
  const { status: _status, ...rest } = model;
  return { ...rest, dedicatedResources: resources };
}
const TIME_SERIES_PATH = /^\/v3\/projects\/([^/]+)\/timeSeries$/;

/** Options of {@link startGcpFake}. */
export interface GcpFakeOptions {
  /**
   * Called with each request before it is answered (after it is recorded): a bench steps the cloud's time
   * here (`advance()`), so a change Tide made is seen done by a later read wherever the fake runs.
   */
  beforeAnswer?: (request: RecordedRequest) => void;
}

/** Start the endpoint on 127.0.0.1, a free port. */
export async function startGcpFake(options: GcpFakeOptions = {}): Promise<GcpFake> {
  const requests: RecordedRequest[] = [];
  const migs = new Map<string, FakeMig>();
  const templates = new Map<string, FakeTemplate>();
  const nodePools = new Map<string, FakeNodePool>();
  const endpoints = new Map<string, FakeEndpoint>();
  const metrics = new Map<string, number>();
  const creationFailures = new Map<string, CreationFailure>();
  const faults: Fault[] = [];
  const appliedRequests = new Map<string, unknown>();
  const vertexOps = new Map<string, { done: boolean; response?: unknown; error?: unknown }>();
  let sequence = 0;

  const computeOp = (project: string, scope: string, targetLink: string, operationType: string) => ({
    kind: 'compute#operation',
    id: String(++sequence),
    name: `operation-${sequence}`,
    operationType,
    status: 'DONE',
    progress: 100,
    targetLink,
    ...(scope.startsWith('zones/') ? { zone: scope } : scope.startsWith('regions/') ? { region: scope } : {}),
    selfLink: `projects/${project}/${scope}/operations/operation-${sequence}`,
  });

  const machineTypeOf = (templateUrl: string): string => {
    const name = templateUrl.split('/').pop() ?? templateUrl;
    return templates.get(name)?.properties.machineType ?? 'unknown';
  };

  const resize = (mig: FakeMig, size: number) => {
    mig.targetSize = size;
    const live = mig.instances.filter((instance) => instance.currentAction !== 'DELETING');
    const failure = creationFailures.get(migKey(mig.project, mig.scope, mig.name));
    for (let i = live.length; i < size; i++) {
      mig.instances.push({
        name: `${mig.name}-${(++sequence).toString(36)}`,
        machineType: machineTypeOf(mig.instanceTemplate),
        status: 'PROVISIONING',
        currentAction: 'CREATING',
        ...(failure ? { errors: [{ code: failure.code, message: failure.message }] } : {}),
      });
    }
    // Scale in: the newest first.
    for (let extra = live.length - size; extra > 0; extra--) {
      const victim = [...live].reverse().find((instance) => instance.currentAction !== 'DELETING');
      if (victim) {
        victim.currentAction = 'DELETING';
        victim.status = 'STOPPING';
      }
      live.splice(live.indexOf(victim!), 1);
    }
  };

  const migJson = (mig: FakeMig) => {
    const count = (action: FakeInstance['currentAction']) =>
      mig.instances.filter((i) => i.currentAction === action).length;
    return {
      kind: 'compute#instanceGroupManager',
      name: mig.name,
      [mig.scope.startsWith('zones/') ? 'zone' : 'region']: mig.scope,
      targetSize: mig.targetSize,
      instanceTemplate: mig.instanceTemplate,
      versions: [{ instanceTemplate: mig.instanceTemplate, name: 'v' }],
      ...(mig.updatePolicy ? { updatePolicy: mig.updatePolicy } : {}),
      currentActions: {
        none: count('NONE'),
        creating: count('CREATING'),
        deleting: count('DELETING'),
        recreating: count('RECREATING'),
        abandoning: 0,
        refreshing: 0,
        restarting: 0,
        verifying: 0,
        creatingWithoutRetries: 0,
      },
      status: { isStable: mig.instances.every((i) => i.currentAction === 'NONE') },
      instanceGroup: `projects/${mig.project}/${mig.scope}/instanceGroups/${mig.name}`,
      selfLink: `projects/${mig.project}/${mig.scope}/instanceGroupManagers/${mig.name}`,
    };
  };

  const managedInstances = (mig: FakeMig) => ({
    managedInstances: mig.instances.map((instance) => ({
      instance: `https://www.googleapis.com/compute/v1/projects/${mig.project}/${mig.scope.startsWith('zones/') ? mig.scope : 'zones/x'}/instances/${instance.name}`,
      id: String(1000 + mig.instances.indexOf(instance)),
      instanceStatus: instance.status,
      currentAction: instance.currentAction,
      version: { instanceTemplate: mig.instanceTemplate },
      ...(instance.errors ? { lastAttempt: { errors: { errors: instance.errors } } } : {}),
    })),
  });

  const handleCompute = (request: RecordedRequest): [number, unknown] | null => {
    const { method, path, query, body } = request;
    let match = MIG_PATH.exec(path);
    if (match) {
      const [, project, scope, name, verb] = match as unknown as [string, string, string, string, string | undefined];
      const mig = migs.get(migKey(project, scope, name));
      if (!mig)
        return notFound(`The resource 'projects/${project}/${scope}/instanceGroupManagers/${name}' was not found`);
      const link = migJson(mig).selfLink;
      if (method === 'GET' && !verb) return [200, migJson(mig)];
      if (method === 'POST' && verb === '/listManagedInstances') return [200, managedInstances(mig)];
      if (method === 'POST' && verb === '/resize') {
        // Compute Engine answers a repeated requestId with the first operation and does not apply it again.
        const requestId = query.get('requestId');
        const seen = requestId ? appliedRequests.get(requestId) : undefined;
        if (seen) return [200, seen];
        const size = Number(query.get('size'));
        if (!Number.isInteger(size) || size < 0)
          return badRequest(`Invalid value for field 'size': '${query.get('size')}'`);
        resize(mig, size);
        const operation = computeOp(project, scope, link, 'compute.instanceGroupManagers.resize');
        if (requestId) appliedRequests.set(requestId, operation);
        return [200, operation];
      }
      if (method === 'POST' && verb === '/deleteInstances') {
        const urls = ((body as { instances?: string[] })?.instances ?? []).map((url) => url.split('/').pop());
        for (const name of urls) {
          const instance = mig.instances.find((i) => i.name === name && i.currentAction !== 'DELETING');
          if (instance) {
            instance.currentAction = 'DELETING';
            instance.status = 'STOPPING';
            mig.targetSize = Math.max(0, mig.targetSize - 1);
          } else if (!(body as { skipInstancesOnValidationError?: boolean }).skipInstancesOnValidationError) {
            return badRequest(`The instance '${name}' is not a member of the group`);
          }
        }
        return [200, computeOp(project, scope, link, 'compute.instanceGroupManagers.deleteInstances')];
      }
      if (method === 'PATCH' && !verb) {
        const patch = body as { versions?: { instanceTemplate: string }[]; updatePolicy?: unknown };
        const template = patch.versions?.[0]?.instanceTemplate;
        if (template) {
          mig.instanceTemplate = template;
          // A proactive update replaces every instance: new ones are created (surge) before the old go.
          const old = mig.instances.filter((i) => i.currentAction !== 'DELETING');
          for (const instance of old) instance.currentAction = 'RECREATING';
        }
        if (patch.updatePolicy) mig.updatePolicy = patch.updatePolicy;
        return [200, computeOp(project, scope, link, 'compute.instanceGroupManagers.patch')];
      }
    }
    match = TEMPLATE_PATH.exec(path);
    if (match) {
      const [, project, name] = match as unknown as [string, string, string | undefined];
      if (method === 'GET' && name) {
        const template = templates.get(name);
        return template ? [200, { kind: 'compute#instanceTemplate', ...template }] : notFound(`template ${name}`);
      }
      if (method === 'POST' && !name) {
        const template = body as FakeTemplate;
        if (templates.has(template.name))
          return conflict(
            `The resource 'projects/${project}/global/instanceTemplates/${template.name}' already exists`,
          );
        templates.set(template.name, template);
        return [
          200,
          computeOp(project, 'global', `projects/${project}/global/instanceTemplates/${template.name}`, 'insert'),
        ];
      }
    }
    match = COMPUTE_OP_PATH.exec(path);
    if (match) {
      const [, project, scope, name] = match as unknown as [string, string, string, string];
      return [
        200,
        {
          kind: 'compute#operation',
          name,
          status: 'DONE',
          progress: 100,
          selfLink: `projects/${project}/${scope}/operations/${name}`,
        },
      ];
    }
    return null;
  };

  const handleGke = (request: RecordedRequest): [number, unknown] | null => {
    const { method, path, body } = request;
    let match = NODE_POOL_PATH.exec(path);
    if (match) {
      const [, name, verb] = match as unknown as [string, string, string | undefined];
      const pool = nodePools.get(name);
      if (!pool) return notFound(`Not found: node pool "${name}".`);
      const location = name.split('/').slice(0, 4).join('/');
      const operation = (type: string) => ({
        name: `${location}/operations/operation-${++sequence}`,
        operationType: type,
        status: 'DONE',
      });
      if (method === 'GET' && !verb) {
        return [
          200,
          {
            name: name.split('/').pop(),
            config: pool.config,
            autoscaling: pool.autoscaling,
            instanceGroupUrls: [
              `https://www.googleapis.com/compute/v1/${pool.mig.replace('instanceGroupManagers', 'instanceGroupManagers')}`,
            ],
            status: 'RUNNING',
            selfLink: name,
          },
        ];
      }
      if (method === 'POST' && verb === ':setSize') {
        const count = (body as { nodeCount?: number }).nodeCount ?? 0;
        const mig = [...migs.values()].find(
          (m) => `projects/${m.project}/${m.scope}/instanceGroupManagers/${m.name}` === pool.mig,
        );
        if (mig) resize(mig, count);
        return [200, operation('SET_NODE_POOL_SIZE')];
      }
      if (method === 'POST' && verb === ':setAutoscaling') {
        pool.autoscaling = { ...(body as { autoscaling: FakeNodePool['autoscaling'] }).autoscaling };
        return [200, operation('SET_NODE_POOL_MANAGEMENT')];
      }
    }
    match = GKE_OP_PATH.exec(path);
    if (match && method === 'GET') return [200, { name: match[1], status: 'DONE' }];
    return null;
  };

  const handleVertex = (request: RecordedRequest): [number, unknown] | null => {
    const { method, path, body } = request;
    let match = ENDPOINT_PATH.exec(path);
    if (match) {
      const [, api, name, verb] = match as unknown as [string, string, string, string | undefined];
      const endpoint = endpoints.get(name);
      if (!endpoint) return notFound(`Endpoint \`${name}\` not found.`);
      const lro = (metadataType: string, response: unknown) => {
        const opName = `${name}/operations/${++sequence}`;
        vertexOps.set(opName, { done: true, response });
        return {
          name: opName,
          done: false,
          metadata: { '@type': `type.googleapis.com/google.cloud.aiplatform.${api}.${metadataType}` },
        };
      };
      const shown = (model: FakeDeployedModel) => (api === 'v1' ? asV1(model) : model);
      if (method === 'GET' && !verb) return [200, { ...endpoint, deployedModels: endpoint.deployedModels.map(shown) }];
      if (method === 'POST' && verb === ':mutateDeployedModel') {
        const request = body as { deployedModel: FakeDeployedModel };
        const model = endpoint.deployedModels.find((m) => m.id === request.deployedModel.id);
        if (!model) return badRequest(`Deployed model ${request.deployedModel.id} not found`);
        const wanted = request.deployedModel.dedicatedResources;
        const next = { ...model.dedicatedResources };
        if (wanted.minReplicaCount !== undefined) next.minReplicaCount = wanted.minReplicaCount;
        if (wanted.maxReplicaCount !== undefined) next.maxReplicaCount = wanted.maxReplicaCount;
        const problem = vertexReplicaProblem(next);
        if (problem) return badRequest(problem);
        model.dedicatedResources = next;
        // With no traffic here, a scale-to-zero model at 0 idles down; at n >= 1 it holds n.
        if (model.dedicatedResources.scaleToZeroSpec) model.status = { availableReplicaCount: next.minReplicaCount };
        return [
          200,
          lro('MutateDeployedModelOperationMetadata', {
            '@type': `type.googleapis.com/google.cloud.aiplatform.${api}.MutateDeployedModelResponse`,
            deployedModel: shown(model),
          }),
        ];
      }
      if (method === 'POST' && verb === ':deployModel') {
        const request = body as { deployedModel: Omit<FakeDeployedModel, 'id'>; trafficSplit?: Record<string, number> };
        const problem = vertexReplicaProblem(request.deployedModel.dedicatedResources);
        if (problem) return badRequest(problem);
        const id = String(++sequence);
        const model = {
          ...request.deployedModel,
          id,
          createTime: new Date(Date.UTC(2026, 0, 1) + sequence * 1000).toISOString(),
        } as FakeDeployedModel;
        const resources = model.dedicatedResources;
        if (resources.scaleToZeroSpec)
          model.status = { availableReplicaCount: resources.minReplicaCount || (resources.initialReplicaCount ?? 0) };
        endpoint.deployedModels.push(model);
        if (request.trafficSplit) {
          endpoint.trafficSplit = Object.fromEntries(
            Object.entries(request.trafficSplit).map(([k, v]) => [k === '0' ? id : k, v]),
          );
        }
        return [
          200,
          lro('DeployModelOperationMetadata', {
            '@type': `type.googleapis.com/google.cloud.aiplatform.${api}.DeployModelResponse`,
            deployedModel: { id },
          }),
        ];
      }
      if (method === 'POST' && verb === ':undeployModel') {
        const request = body as { deployedModelId: string; trafficSplit?: Record<string, number> };
        if ((endpoint.trafficSplit[request.deployedModelId] ?? 0) > 0 && !request.trafficSplit) {
          return badRequest('Model has traffic; pass a traffic split that sends it none');
        }
        endpoint.deployedModels = endpoint.deployedModels.filter((m) => m.id !== request.deployedModelId);
        if (request.trafficSplit) endpoint.trafficSplit = { ...request.trafficSplit };
        return [
          200,
          lro('UndeployModelOperationMetadata', {
            '@type': `type.googleapis.com/google.cloud.aiplatform.${api}.UndeployModelResponse`,
          }),
        ];
      }
      if (method === 'PATCH' && !verb) {
        const patch = body as { trafficSplit?: Record<string, number> };
        if (patch.trafficSplit) endpoint.trafficSplit = { ...patch.trafficSplit };
        return [200, { ...endpoint, deployedModels: endpoint.deployedModels.map(shown) }];
      }
    }
    match = VERTEX_OP_PATH.exec(path);
    if (match && method === 'GET') {
      const op = vertexOps.get(match[1]!);
      return op
        ? [200, { name: match[1], done: op.done, ...(op.response ? { response: op.response } : {}) }]
        : notFound('operation');
    }
    return null;
  };

  const handleMonitoring = (request: RecordedRequest): [number, unknown] | null => {
    const match = TIME_SERIES_PATH.exec(request.path);
    if (!match || request.method !== 'GET') return null;
    const filter = request.query.get('filter') ?? '';
    const type = /metric\.type\s*=\s*"([^"]+)"/.exec(filter)?.[1];
    const value = type === undefined ? undefined : metrics.get(type);
    const endTime = request.query.get('interval.endTime') ?? new Date(0).toISOString();
    if (value === undefined) return [200, { timeSeries: [], nextPageToken: '' }];
    return [
      200,
      {
        timeSeries: [
          {
            metric: { type },
            resource: { type: 'global', labels: {} },
            metricKind: 'GAUGE',
            valueType: 'DOUBLE',
            points: [{ interval: { startTime: endTime, endTime }, value: { doubleValue: value } }],
          },
        ],
        nextPageToken: '',
      },
    ];
  };

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      const request: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        body,
        headers: req.headers,
      };
      requests.push(request);
      options.beforeAnswer?.(request);
      const send = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      const faultIndex = faults.findIndex((fault) => fault.match(request));
      if (faultIndex >= 0) {
        const fault = faults[faultIndex]!;
        fault.times = (fault.times ?? 1) - 1;
        if (fault.times <= 0) faults.splice(faultIndex, 1);
        if (fault.kind === 'reset') {
          req.socket.destroy();
          return;
        }
        if (fault.kind === 'http') {
          send(
            fault.status ?? 500,
            fault.body ?? { error: { code: fault.status ?? 500, message: 'injected', status: 'INTERNAL' } },
          );
          return;
        }
        // slow: answer normally after the delay.
        setTimeout(() => answer(), fault.delayMs ?? 1_000).unref();
        return;
      }
      if (request.path.startsWith('/computeMetadata/v1/')) {
        // The metadata server, as ADC reads it on Cloud Run (GCE_METADATA_HOST points the clients here).
        res.setHeader('Metadata-Flavor', 'Google');
        if (req.headers['metadata-flavor'] !== 'Google')
          return send(403, { error: 'Missing Metadata-Flavor:Google header.' });
        if (request.path.endsWith('/service-accounts/default/token')) {
          return send(200, { access_token: 'metadata-token', expires_in: 3599, token_type: 'Bearer' });
        }
        if (request.path === '/computeMetadata/v1/project/project-id') {
          res.writeHead(200, { 'content-type': 'application/text' });
          return res.end('p1');
        }
        res.writeHead(200, { 'content-type': 'application/text' });
        return res.end('');
      }
      answer();
      function answer() {
        const result =
          handleCompute(request) ?? handleGke(request) ?? handleVertex(request) ?? handleMonitoring(request);
        if (!result)
          send(404, {
            error: { code: 404, message: `no route ${request.method} ${request.path}`, status: 'NOT_FOUND' },
          });
        else send(result[0], result[1]);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    migs,
    templates,
    nodePools,
    endpoints,
    metrics,
    creationFailures,
    addMig({ running = 0, machineType, ...rest }) {
      const mig: FakeMig = { ...rest, instances: [] };
      const templateName = rest.instanceTemplate.split('/').pop()!;
      if (!templates.has(templateName))
        templates.set(templateName, {
          name: templateName,
          properties: { machineType: machineType ?? 'g2-standard-8' },
        });
      for (let i = 0; i < running; i++) {
        mig.instances.push({
          name: `${rest.name}-${(++sequence).toString(36)}`,
          machineType: machineTypeOf(rest.instanceTemplate),
          status: 'RUNNING',
          currentAction: 'NONE',
        });
      }
      migs.set(migKey(rest.project, rest.scope, rest.name), mig);
      return mig;
    },
    inject(fault) {
      faults.push(fault);
    },
    clearFaults() {
      faults.length = 0;
    },
    advance() {
      for (const mig of migs.values()) {
        const recreating = mig.instances.filter((i) => i.currentAction === 'RECREATING');
        mig.instances = mig.instances.filter((i) => i.currentAction !== 'DELETING' && i.currentAction !== 'RECREATING');
        for (const instance of mig.instances) {
          if (instance.currentAction === 'CREATING' && !instance.errors) {
            instance.currentAction = 'NONE';
            instance.status = 'RUNNING';
          }
        }
        // Recreated instances come back on the group's current template.
        for (const instance of recreating) {
          mig.instances.push({
            ...instance,
            machineType: machineTypeOf(mig.instanceTemplate),
            currentAction: 'NONE',
            status: 'RUNNING',
          });
        }
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };

  function notFound(message: string): [number, unknown] {
    return [404, { error: { code: 404, message, status: 'NOT_FOUND', errors: [{ reason: 'notFound', message }] } }];
  }
  function badRequest(message: string): [number, unknown] {
    return [
      400,
      { error: { code: 400, message, status: 'INVALID_ARGUMENT', errors: [{ reason: 'invalid', message }] } },
    ];
  }
  function conflict(message: string): [number, unknown] {
    return [
      409,
      { error: { code: 409, message, status: 'ALREADY_EXISTS', errors: [{ reason: 'alreadyExists', message }] } },
    ];
  }
}
