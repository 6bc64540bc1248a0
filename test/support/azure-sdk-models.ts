/**
 * What Azure's own SDK packages on npm say a resource type's PUT body is, read offline: each generated
 * `@azure/arm-*` package (the core-client generation, with serialisation mappers) carries, per operation,
 * the request path, the HTTP method, the `api-version` it sends and the mapper of its request body; the
 * mappers give every property's wire name (`serializedName`, dotted where the SDK flattens `properties.x`),
 * its type and whether it is read-only. So "is `properties.functionAppConfig.runtime.name` a real property of
 * Microsoft.Web/sites at 2025-03-01" is answered by the same data the SDK serialises requests with.
 *
 * The operation specs are module-private constants, so they are read from the package's source text (stable
 * for an exactly pinned version); the mappers are imported as modules.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** A core-client mapper (only the fields this walk reads). */
export interface SdkMapper {
  serializedName?: string;
  readOnly?: boolean;
  type: {
    name: string;
    className?: string;
    modelProperties?: Record<string, SdkMapper>;
    polymorphicDiscriminator?: { serializedName: string };
    uberParent?: string;
    element?: SdkMapper;
    value?: SdkMapper;
  };
}

/** The PUT of one resource type in one SDK package: the api-version it sends and its body's mapper. */
export interface SdkResourceModel {
  packageName: string;
  apiVersion: string;
  body: SdkMapper;
  mappers: Record<string, SdkMapper>;
  discriminators: Record<string, SdkMapper>;
}

const require = createRequire(import.meta.url);

function packageDir(packageName: string): string {
  return dirname(require.resolve(`${packageName}/package.json`));
}

/** Where the package keeps its per-file ES modules (the newer layout first, then the older `dist-esm`). */
function sourceDir(packageName: string): string {
  const root = packageDir(packageName);
  const found = ['dist/esm', 'dist-esm/src']
    .map((dir) => join(root, dir))
    .find((dir) => existsSync(join(dir, 'models/mappers.js')));
  if (!found) throw new Error(`${packageName}: no models/mappers.js under dist/esm or dist-esm/src`);
  return found;
}

/** The `export const name = { … };` blocks of a generated file, by name. */
function exportedBlocks(text: string): Map<string, string> {
  return new Map([...text.matchAll(/export const (\w+) = (\{[\s\S]*?\n\});/g)].map((m) => [m[1]!, m[2]!]));
}

/** `/providers/Microsoft.Storage/storageAccounts/{a}/blobServices/{b}/containers/{c}` for a type's PUT path. */
function pathPattern(resourceType: string): RegExp {
  const [namespace, ...types] = resourceType.split('/');
  const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const segments = types.map((type) => `/${literal(type)}/(?:\\{[^}]+\\}|[^/]+)`).join('');
  return new RegExp(`/providers/${literal(namespace!)}${segments}$`, 'i');
}

const cache = new Map<string, Promise<SdkResourceModel>>();

/** The model of `resourceType`'s PUT in `packageName`; throws when the package has no such PUT. */
export function sdkResourceModel(packageName: string, resourceType: string): Promise<SdkResourceModel> {
  const key = `${packageName} ${resourceType}`;
  let model = cache.get(key);
  if (!model) {
    model = load(packageName, resourceType);
    cache.set(key, model);
  }
  return model;
}

async function load(packageName: string, resourceType: string): Promise<SdkResourceModel> {
  const dir = sourceDir(packageName);
  const parameters = exportedBlocks(readFileSync(join(dir, 'models/parameters.js'), 'utf8'));
  const pattern = pathPattern(resourceType);
  const puts: { apiVersion: string; bodyClass: string; path: string }[] = [];
  for (const file of readdirSync(join(dir, 'operations')).filter((name) => name.endsWith('.js'))) {
    const text = readFileSync(join(dir, 'operations', file), 'utf8');
    for (const [, spec] of text.matchAll(/const \w+OperationSpec = (\{[\s\S]*?\n\});/g)) {
      const path = /path: "([^"]+)"/.exec(spec!)?.[1];
      if (!path || !/httpMethod: "PUT"/.test(spec!) || !pattern.test(path)) continue;
      const versionParameter = /queryParameters: \[([^\]]*)\]/
        .exec(spec!)?.[1]
        ?.match(/Parameters\.(apiVersion\d*)/)?.[1];
      const bodyParameter = /requestBody: Parameters\.(\w+)/.exec(spec!)?.[1];
      if (!versionParameter || !bodyParameter) continue;
      const apiVersion = /defaultValue: "([^"]+)"/.exec(parameters.get(versionParameter) ?? '')?.[1];
      const bodyClass = /mapper: (\w+)Mapper\b/.exec(parameters.get(bodyParameter) ?? '')?.[1];
      if (apiVersion && bodyClass) puts.push({ apiVersion, bodyClass, path });
    }
  }
  // A template deploys at a resource group: where the SDK also has the tenant or management group form of
  // a PUT (deployments), the resource group's (or any scope's) is the one.
  const inGroup = puts.filter((put) => /\/resourceGroups\/|^\/\{scope\}/i.test(put.path));
  if (inGroup.length > 0) puts.splice(0, puts.length, ...inGroup);
  const distinct = [...new Set(puts.map((put) => `${put.apiVersion} ${put.bodyClass}`))];
  if (distinct.length !== 1)
    throw new Error(
      `${packageName} has ${distinct.length} PUT models for ${resourceType}: ${distinct.join(', ') || 'none'}`,
    );
  const { apiVersion, bodyClass } = puts[0]!;
  const module = (await import(pathToFileURL(join(dir, 'models/mappers.js')).href)) as Record<string, unknown>;
  const mappers = module as Record<string, SdkMapper>;
  const discriminators = (module.discriminators ?? {}) as Record<string, SdkMapper>;
  return { packageName, apiVersion, body: mappers[bodyClass]!, mappers, discriminators };
}

/** The installed version of a package (for messages). */
export function packageVersion(packageName: string): string {
  return (JSON.parse(readFileSync(join(packageDir(packageName), 'package.json'), 'utf8')) as { version: string })
    .version;
}

/** An ARM template expression (`[…]`, not the `[[` escape): its value is only known at deployment. */
export function isExpression(value: unknown): boolean {
  return typeof value === 'string' && value.startsWith('[') && !value.startsWith('[[') && value.endsWith(']');
}

/** A tree of wire names: the flattened `properties.x.y` names become nested nodes; leaves are mappers. */
type NameTree = Map<string, NameTree | SdkMapper>;

function nameTree(properties: Record<string, SdkMapper>): NameTree {
  const tree: NameTree = new Map();
  for (const mapper of Object.values(properties)) {
    if (!mapper.serializedName) continue;
    const segments = mapper.serializedName.split(/(?<!\\)\./).map((s) => s.replace(/\\\./g, '.'));
    let node = tree;
    for (const segment of segments.slice(0, -1)) {
      let next = node.get(segment);
      if (!(next instanceof Map)) {
        next = new Map();
        node.set(segment, next);
      }
      node = next;
    }
    node.set(segments.at(-1)!, mapper);
  }
  return tree;
}

/**
 * Every property path in `value` that `mapper` does not know, or that it marks read-only (ARM ignores or
 * refuses those), as `path: why`. Expressions are not looked into: their shape is known only at deployment.
 */
export function unknownProperties(model: SdkResourceModel, value: unknown, mapper: SdkMapper, path: string): string[] {
  if (isExpression(value) || value === null || value === undefined) return [];
  const type = mapper.type;
  if (type.name === 'Sequence')
    return Array.isArray(value)
      ? value.flatMap((item, i) => unknownProperties(model, item, type.element!, `${path}[${i}]`))
      : [`${path}: an array expected`];
  if (type.name === 'Dictionary')
    return typeof value === 'object'
      ? Object.entries(value).flatMap(([key, item]) => unknownProperties(model, item, type.value!, `${path}.${key}`))
      : [`${path}: an object expected`];
  if (type.name !== 'Composite') return [];
  if (typeof value !== 'object' || Array.isArray(value)) return [`${path}: an object expected`];
  let resolved = type.modelProperties ? mapper : model.mappers[type.className!];
  if (!resolved) return [`${path}: the SDK has no model ${type.className}`];
  const discriminator = resolved.type.polymorphicDiscriminator?.serializedName;
  const kind = discriminator ? (value as Record<string, unknown>)[discriminator] : undefined;
  if (discriminator && typeof kind === 'string' && !isExpression(kind)) {
    const parent = resolved.type.uberParent ?? resolved.type.className;
    const subtype = model.discriminators[`${parent}.${kind}`];
    if (!subtype) return [`${path}.${discriminator}: ${kind} is not a kind the SDK knows`];
    resolved = subtype;
  }
  return walkTree(model, value as Record<string, unknown>, nameTree(resolved.type.modelProperties ?? {}), path);
}

function walkTree(model: SdkResourceModel, value: Record<string, unknown>, tree: NameTree, path: string): string[] {
  return Object.entries(value).flatMap(([key, item]) => {
    const at = path ? `${path}.${key}` : key;
    const node = tree.get(key);
    if (!node) return [`${at}: not a property of this resource type at this API version`];
    if (node instanceof Map)
      return typeof item === 'object' && item !== null && !Array.isArray(item)
        ? walkTree(model, item as Record<string, unknown>, node, at)
        : isExpression(item)
          ? []
          : [`${at}: an object expected`];
    if (node.readOnly) return [`${at}: read-only`];
    return unknownProperties(model, item, node, at);
  });
}
