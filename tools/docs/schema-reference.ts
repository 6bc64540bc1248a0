import { toJSONSchema, type ZodType } from 'zod';

/** The subset of JSON Schema that zod emits and the reference needs. */
interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minItems?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  pattern?: string;
}

/** JSON Schema (draft 2020-12) of a document, as the input a user writes (defaults make fields optional). */
export function jsonSchemaOf(schema: ZodType): JsonSchema {
  return toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
}

function typeOf(node: JsonSchema): string {
  if (node.enum) return node.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' | ');
  if (node.const !== undefined) return `\`${JSON.stringify(node.const)}\``;
  const variants = node.anyOf ?? node.oneOf;
  if (variants) return variants.map(typeOf).join(' | ');
  if (node.type === 'array') return `${node.items ? typeOf(node.items) : 'any'}[]`;
  if (
    node.type === 'object' &&
    node.additionalProperties &&
    typeof node.additionalProperties === 'object' &&
    !node.properties
  ) {
    return `map of ${typeOf(node.additionalProperties)}`;
  }
  const base = Array.isArray(node.type) ? node.type.join(' \\| ') : (node.type ?? 'any');
  const range: string[] = [];
  if (node.minimum !== undefined) range.push(`≥ ${node.minimum}`);
  if (node.exclusiveMinimum !== undefined) range.push(`> ${node.exclusiveMinimum}`);
  if (node.maximum !== undefined && node.maximum < Number.MAX_SAFE_INTEGER) range.push(`≤ ${node.maximum}`);
  return range.length > 0 ? `${base} (${range.join(', ')})` : base;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/**
 * A Markdown table of every field of a document: path, type and bounds, default, and the description
 * the schema carries. The README's policy reference is this output, checked by a test.
 */
export function markdownReference(schema: ZodType): string {
  const rows: string[] = ['| field | type | default | description |', '| --- | --- | --- | --- |'];
  const walk = (node: JsonSchema, path: string, required: boolean) => {
    const objectNode = node.properties ? node : (node.anyOf ?? []).find((v) => v.properties);
    if (path) {
      const def = node.default === undefined ? (required ? 'required' : '—') : `\`${JSON.stringify(node.default)}\``;
      const type = objectNode?.properties ? 'object' : typeOf(node);
      rows.push(`| \`${path}\` | ${cell(type)} | ${cell(def)} | ${cell(node.description ?? '')} |`);
    }
    if (objectNode?.properties) {
      for (const [key, child] of Object.entries(objectNode.properties)) {
        walk(child, path ? `${path}.${key}` : key, objectNode.required?.includes(key) ?? false);
      }
    }
    const items = node.items;
    if (items && (items.properties || items.anyOf?.some((v) => v.properties)))
      walk({ ...items, default: undefined, description: undefined }, `${path}[]`, true);
  };
  walk(jsonSchemaOf(schema), '', true);
  return rows
    .filter((row, i) => i < 2 || !row.startsWith('| `') || !row.includes('[]` | object | required |  |'))
    .join('\n');
}
