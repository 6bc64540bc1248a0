/**
 * infra/azure/main.json, checked offline as far as it can be without Azure:
 * - every resource's type and apiVersion is one Azure's own SDK package on npm sends a PUT for, and every
 *   property the template sets (top level and under `properties`, to the leaves) is one that SDK serialises
 *   for that PUT at that version, and not a read-only one (test/support/azure-sdk-models.ts);
 * - every expression parses, names declared parameters and variables, and every `resourceId`/`reference` names
 *   a resource the template declares (or one of the few it deliberately points outside at); `dependsOn` names
 *   declared resources, and a resource depends on every declared resource its expressions name;
 * - what Tide needs of it: Flex Consumption on Node.js 22, a system-assigned identity, the app settings,
 *   Event Grid subscriptions to tideEvents with a retry policy and dead-lettering.
 * (The functions it names are checked against the built bundle in azure-bundle.test.ts, the custom role's
 * actions against the wire tests' calls in azure-role.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  armResourceId,
  callsIn,
  evaluateArm,
  evaluateNode,
  parseArmExpression,
  type ArmScope,
} from '../support/arm-expressions.ts';
import {
  isExpression,
  sdkResourceModel,
  unknownProperties,
  type SdkMapper,
  type SdkResourceModel,
} from '../support/azure-sdk-models.ts';

const root = join(import.meta.dirname, '../..');
const template = JSON.parse(readFileSync(join(root, 'infra/azure/main.json'), 'utf8')) as ArmTemplate;

interface ArmResource {
  type: string;
  apiVersion: string;
  name: string;
  condition?: string;
  dependsOn?: string[];
  scope?: string;
  resourceGroup?: string;
  properties?: Record<string, unknown>;
  [key: string]: unknown;
}
interface ArmTemplate {
  parameters?: Record<string, { type: string; defaultValue?: unknown; allowedValues?: unknown[] }>;
  variables?: Record<string, unknown>;
  resources: ArmResource[];
  outputs?: Record<string, { type: string; value: unknown }>;
}

/** The SDK package (exactly pinned in package.json) whose PUT model is the truth for each resource type. */
const SDK_OF: Record<string, string> = {
  'Microsoft.Storage/storageAccounts': '@azure/arm-storage',
  'Microsoft.Storage/storageAccounts/blobServices': '@azure/arm-storage',
  'Microsoft.Storage/storageAccounts/blobServices/containers': '@azure/arm-storage',
  'Microsoft.OperationalInsights/workspaces': '@azure/arm-operationalinsights',
  'Microsoft.Web/serverfarms': '@azure/arm-appservice',
  'Microsoft.Web/sites': '@azure/arm-appservice',
  'Microsoft.Authorization/roleAssignments': '@azure/arm-authorization',
  'Microsoft.Authorization/roleDefinitions': '@azure/arm-authorization',
  'Microsoft.EventGrid/systemTopics': '@azure/arm-eventgrid',
  'Microsoft.EventGrid/systemTopics/eventSubscriptions': '@azure/arm-eventgrid',
  // @azure/arm-monitor 8 is the new generation without mappers; 7.0.0 (aliased) still has them.
  'Microsoft.Insights/actionGroups': 'arm-monitor-v7',
  'Microsoft.Resources/deployments': '@azure/arm-resources',
  // Referenced, not deployed: the Azure ML workspace whose region its system topic takes.
  'Microsoft.MachineLearningServices/workspaces': '@azure/arm-machinelearning',
};

/**
 * Microsoft.Insights/components at 2020-02-02 (the first version that takes WorkspaceResourceId, which new
 * components require) is in no SDK package on npm: @azure/arm-appinsights 4.0.0 stops at 2018-05-01-preview.
 * Its writable properties, from azure-rest-api-specs
 * specification/applicationinsights/resource-manager/Microsoft.Insights/stable/2020-02-02/components_API.json
 * (ApplicationInsightsComponent and ApplicationInsightsComponentProperties), stand in for the SDK's mappers.
 */
const INSIGHTS_COMPONENT_2020_02_02: SdkResourceModel = (() => {
  const leaf = (serializedName: string): SdkMapper => ({ serializedName, type: { name: 'String' } });
  const writable = [
    'Application_Type',
    'Flow_Type',
    'Request_Source',
    'HockeyAppId',
    'SamplingPercentage',
    'RetentionInDays',
    'DisableIpMasking',
    'ImmediatePurgeDataOn30Days',
    'WorkspaceResourceId',
    'publicNetworkAccessForIngestion',
    'publicNetworkAccessForQuery',
    'IngestionMode',
    'DisableLocalAuth',
    'ForceCustomerStorageForProfiler',
  ];
  const readOnly = [
    'ApplicationId',
    'AppId',
    'Name',
    'InstrumentationKey',
    'CreationDate',
    'TenantId',
    'HockeyAppToken',
    'provisioningState',
    'ConnectionString',
    'PrivateLinkScopedResources',
    'LaMigrationDate',
  ];
  const modelProperties = Object.fromEntries([
    ...['location', 'kind', 'etag'].map((name) => [name, leaf(name)]),
    ['tags', { serializedName: 'tags', type: { name: 'Dictionary', value: { type: { name: 'String' } } } }],
    ...writable.map((name) => [name, leaf(`properties.${name}`)]),
    ...readOnly.map((name) => [name, { ...leaf(`properties.${name}`), readOnly: true }]),
  ]);
  const body: SdkMapper = { type: { name: 'Composite', className: 'ApplicationInsightsComponent', modelProperties } };
  return {
    packageName: 'components_API.json 2020-02-02',
    apiVersion: '2020-02-02',
    body,
    mappers: {},
    discriminators: {},
  };
})();

function modelOf(type: string): Promise<SdkResourceModel> {
  if (type === 'Microsoft.Insights/components') return Promise.resolve(INSIGHTS_COMPONENT_2020_02_02);
  const sdk = SDK_OF[type];
  if (!sdk) throw new Error(`${type}: no SDK package to check it against; add one to SDK_OF`);
  return sdkResourceModel(sdk, type);
}

/** Keys ARM reads itself; the rest of a resource is its PUT body. */
const TEMPLATE_KEYS = new Set([
  'type',
  'apiVersion',
  'name',
  'condition',
  'dependsOn',
  'comments',
  'scope',
  'resourceGroup',
  'copy',
]);

const SUBSCRIPTION = '00000000-0000-0000-0000-000000000000';
/** Sample values for the parameters without a default. */
const REQUIRED = { redisUrl: 'rediss://tide.example:6380', ingestKey: 'tide_ingest_sample' };

/** Parameter values (defaults, evaluated in order, then the samples) for a template deployed at `group`. */
function scopeFor(t: ArmTemplate, group: string, given: Record<string, unknown>): ArmScope {
  const scope: ArmScope = {
    parameters: {},
    variables: t.variables ?? {},
    subscriptionId: SUBSCRIPTION,
    resourceGroup: group,
    location: 'westeurope',
  };
  for (const [name, declaration] of Object.entries(t.parameters ?? {}))
    scope.parameters[name] = name in given ? given[name] : evaluateArm(declaration.defaultValue, scope);
  return scope;
}

/** Each declared resource's id (extension resources under their `scope`; nested deployments in their group). */
function declaredIds(t: ArmTemplate, scope: ArmScope): Map<string, ArmResource> {
  const group = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${scope.resourceGroup}`;
  return new Map(
    t.resources.map((resource) => {
      const names = String(evaluateArm(resource.name, scope)).split('/');
      const prefix = resource.scope
        ? `${group}/providers/${String(evaluateArm(resource.scope, scope))}`
        : resource.resourceGroup
          ? `/subscriptions/${SUBSCRIPTION}/resourceGroups/${String(evaluateArm(resource.resourceGroup, scope))}`
          : group;
      return [armResourceId(prefix, resource.type, names).toLowerCase(), resource];
    }),
  );
}

/** Every expression string under a value, with where it is. */
function expressions(value: unknown, path: string): [path: string, expression: string][] {
  if (isExpression(value)) return [[path, (value as string).slice(1, -1)]];
  if (Array.isArray(value)) return value.flatMap((item, i) => expressions(item, `${path}[${i}]`));
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => expressions(v, `${path}.${k}`));
  return [];
}

const nested = template.resources.find((r) => r.type === 'Microsoft.Resources/deployments')!;
const nestedTemplate = nested.properties!.template as ArmTemplate;
const outerScope = scopeFor(template, 'tide-rg', REQUIRED);
const innerScope = scopeFor(nestedTemplate, String(evaluateArm(nested.resourceGroup, outerScope)), {
  principalId: 'principal',
});
/** The template and the role's nested template (inner expression scope), each with its own scope. */
const TEMPLATES: [label: string, t: ArmTemplate, scope: ArmScope][] = [
  ['main.json', template, outerScope],
  ['the nested tide-actuator-role template', nestedTemplate, innerScope],
];
/** Resources the template names but does not deploy: the workspace its topic listens to. */
const EXTERNAL_TYPES = new Set(['microsoft.machinelearningservices/workspaces']);

describe.each(TEMPLATES)('%s', (_label, t, scope) => {
  const declared = declaredIds(t, scope);
  /** Expressions outside the nested template's body (the nested template is checked on its own). */
  const ownExpressions = (value: unknown, path: string) =>
    expressions(value, path).filter(([at]) => !at.includes('.properties.template.'));

  it.each(t.resources.map((r) => [`${r.type} ${r.name}`, r] as const))(
    '%s: type, apiVersion and every property are in the SDK',
    async (_name, resource) => {
      const model = await modelOf(resource.type);
      expect(resource.apiVersion, `${resource.type}: ${model.packageName} sends ${model.apiVersion}`).toBe(
        model.apiVersion,
      );
      const body = Object.fromEntries(Object.entries(resource).filter(([key]) => !TEMPLATE_KEYS.has(key)));
      if (resource.type === 'Microsoft.Resources/deployments')
        delete (body.properties as Record<string, unknown>).template;
      expect(unknownProperties(model, body, model.body, '')).toEqual([]);
    },
  );

  it('every expression parses and names declared parameters, variables and resources', async () => {
    const problems: string[] = [];
    const everything = ownExpressions(
      { resources: t.resources, outputs: t.outputs, variables: t.variables, parameters: t.parameters },
      '',
    );
    expect(everything.length).toBeGreaterThan(0);
    for (const [at, source] of everything) {
      let calls: ReturnType<typeof callsIn>;
      try {
        calls = callsIn(parseArmExpression(source));
      } catch (error) {
        problems.push(`${at}: ${(error as Error).message}`);
        continue;
      }
      for (const call of calls) {
        const literal = call.args[0]?.kind === 'string' ? call.args[0].value : undefined;
        if (call.name === 'parameters' && !(literal && literal in (t.parameters ?? {})))
          problems.push(`${at}: parameters('${literal}') undeclared`);
        if (call.name === 'variables' && !(literal && literal in (t.variables ?? {})))
          problems.push(`${at}: variables('${literal}') undeclared`);
        if (call.name === 'resourceid' || call.name === 'extensionresourceid' || call.name === 'reference') {
          const idNode = call.name === 'reference' ? call.args[0]! : call;
          const id = String(evaluateNode(idNode, scope)).toLowerCase();
          const type = id
            .replace(/^.*\/providers\//, '')
            .split('/')
            .filter((_, i) => i === 0 || i % 2 === 1)
            .join('/');
          const external = [...EXTERNAL_TYPES].some((e) => type === e);
          if (!declared.has(id) && !external) problems.push(`${at}: ${id} is not a resource of this template`);
          if (call.name === 'reference' && call.args[1]?.kind === 'string') {
            const target = declared.get(id);
            const expected = target
              ? target.apiVersion
              : (await modelOf(Object.keys(SDK_OF).find((k) => k.toLowerCase() === type)!)).apiVersion;
            if (call.args[1].value !== expected)
              problems.push(
                `${at}: reference(${id}) at ${call.args[1].value}, the resource's API version is ${expected}`,
              );
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('every declared parameter and variable is used', () => {
    const names = ownExpressions(
      { resources: t.resources, outputs: t.outputs, variables: t.variables, parameters: t.parameters },
      '',
    ).flatMap(([, source]) =>
      callsIn(parseArmExpression(source)).flatMap((call) =>
        (call.name === 'parameters' || call.name === 'variables') && call.args[0]?.kind === 'string'
          ? [`${call.name}:${call.args[0].value}`]
          : [],
      ),
    );
    const declaredNames = [
      ...Object.keys(t.parameters ?? {}).map((n) => `parameters:${n}`),
      ...Object.keys(t.variables ?? {}).map((n) => `variables:${n}`),
    ];
    expect(declaredNames.filter((name) => !names.includes(name))).toEqual([]);
  });

  it('dependsOn names declared resources, and each resource depends on every declared resource it names', () => {
    const problems: string[] = [];
    for (const resource of t.resources) {
      const self = [...declared].find(([, r]) => r === resource)![0];
      const dependsOn = (resource.dependsOn ?? []).map((entry) => String(evaluateArm(entry, scope)).toLowerCase());
      for (const id of dependsOn)
        if (!declared.has(id)) problems.push(`${resource.name}: dependsOn ${id}, not declared`);
      const named = ownExpressions({ ...resource, dependsOn: undefined }, resource.name).flatMap(([, source]) =>
        callsIn(parseArmExpression(source))
          .filter((call) => call.name === 'resourceid' || call.name === 'extensionresourceid')
          .map((call) => String(evaluateNode(call, scope)).toLowerCase()),
      );
      // An extension resource's scope is named by path, not by resourceId: it must exist first too.
      if (resource.scope)
        named.push(
          `/subscriptions/${SUBSCRIPTION}/resourcegroups/${scope.resourceGroup}/providers/${String(evaluateArm(resource.scope, scope))}`.toLowerCase(),
        );
      for (const id of new Set(named))
        if (declared.has(id) && id !== self && !dependsOn.includes(id))
          problems.push(`${resource.name}: names ${id} but does not depend on it`);
    }
    expect(problems).toEqual([]);
  });
});

describe('what Tide needs of the deployment', () => {
  const byType = (type: string) => template.resources.filter((r) => r.type === type);
  const site = byType('Microsoft.Web/sites')[0]!;
  const settings = Object.fromEntries(
    (site.properties!.siteConfig as { appSettings: { name: string; value: string }[] }).appSettings.map((s) => [
      s.name,
      s.value,
    ]),
  );

  it('a Function App on Flex Consumption, Node.js 22, with a system-assigned managed identity', () => {
    expect(byType('Microsoft.Web/serverfarms')[0]).toMatchObject({
      sku: { name: 'FC1', tier: 'FlexConsumption' },
      properties: { reserved: true },
    });
    expect(site).toMatchObject({
      kind: 'functionapp,linux',
      identity: { type: 'SystemAssigned' },
      properties: { httpsOnly: true, functionAppConfig: { runtime: { name: 'node', version: '22' } } },
    });
  });

  it('app settings: storage and telemetry by identity, the mode, the tick, the state store', () => {
    expect(settings).toMatchObject({
      AzureWebJobsStorage__credential: 'managedidentity',
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD',
      TIDE_MODE: "[parameters('tideMode')]",
      TIDE_TICK_INTERVAL_SECONDS: "[string(parameters('tickIntervalSeconds'))]",
      REDIS_URL: "[parameters('redisUrl')]",
    });
    expect(
      Object.keys(settings).some(
        (name) => /AzureWebJobsStorage$|ConnectionString$/i.test(name) && !/APPLICATIONINSIGHTS/.test(name),
      ),
    ).toBe(false);
    expect(template.parameters!.redisUrl!.type).toBe('securestring');
    expect(template.parameters!.ingestKey!.type).toBe('securestring');
  });

  it("host.json: the extension bundle and the route prefix the webhook URLs assume ('')", () => {
    const host = JSON.parse(readFileSync(join(root, 'infra/azure/host.json'), 'utf8'));
    expect(host).toMatchObject({ version: '2.0', extensions: { http: { routePrefix: '' } } });
    expect(host.extensionBundle.id).toBe('Microsoft.Azure.Functions.ExtensionBundle');
  });

  it('Event Grid subscriptions deliver to tideEvents with a retry policy and dead-letter with the topic identity', () => {
    const subscriptions = byType('Microsoft.EventGrid/systemTopics/eventSubscriptions');
    expect(subscriptions).toHaveLength(2);
    for (const subscription of subscriptions) {
      const properties = subscription.properties as Record<string, any>;
      expect(properties.destination).toMatchObject({ endpointType: 'AzureFunction' });
      expect(String(properties.destination.properties.resourceId)).toMatch(/\/functions\/tideEvents'/);
      expect(properties.retryPolicy).toEqual({
        maxDeliveryAttempts: "[parameters('maxDeliveryAttempts')]",
        eventTimeToLiveInMinutes: "[parameters('eventTimeToLiveInMinutes')]",
      });
      expect(properties.deadLetterWithResourceIdentity).toMatchObject({
        identity: { type: 'SystemAssigned' },
        deadLetterDestination: {
          endpointType: 'StorageBlob',
          properties: { blobContainerName: "[variables('deadLetterContainer')]" },
        },
      });
    }
    // Each topic's identity may write the dead-letter container.
    for (const topic of byType('Microsoft.EventGrid/systemTopics')) {
      expect(topic.identity).toEqual({ type: 'SystemAssigned' });
      const grants = byType('Microsoft.Authorization/roleAssignments').filter((r) =>
        String(r.properties!.principalId).includes(`systemTopics', ${String(topic.name).slice(1, -1)}`),
      );
      expect(grants, `${topic.name} may write dead letters`).toHaveLength(1);
    }
  });
});
