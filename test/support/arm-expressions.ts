/**
 * A small reader of ARM template expressions (`[format('{0}-plan', parameters('appName'))]`), enough to check
 * a template offline: parse every expression, list the parameters, variables and resources it names, and
 * evaluate names and resource ids with sample parameter values, so `dependsOn`, `resourceId(…)` and
 * `reference(…)` can be compared with the resources the template declares. `uniqueString` and `guid` are
 * deterministic stand-ins (a hash), which is all a comparison of ids needs; `reference` is opaque.
 */
import { createHash } from 'node:crypto';

/** An expression's syntax tree. */
export type ArmNode =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'call'; name: string; args: ArmNode[] }
  | { kind: 'property'; target: ArmNode; name: string }
  | { kind: 'index'; target: ArmNode; index: ArmNode };

/** Parses the inside of `[…]`; throws on a syntax error, naming the expression. */
export function parseArmExpression(source: string): ArmNode {
  let at = 0;
  const fail = (why: string): never => {
    throw new Error(`${why} at ${at} in [${source}]`);
  };
  const space = () => {
    while (source[at] === ' ') at++;
  };
  const primary = (): ArmNode => {
    space();
    if (source[at] === "'") {
      let value = '';
      at++;
      for (;;) {
        if (at >= source.length) fail('unterminated string');
        if (source[at] === "'") {
          if (source[at + 1] === "'") {
            value += "'";
            at += 2;
            continue;
          }
          at++;
          return { kind: 'string', value };
        }
        value += source[at++];
      }
    }
    const number = /^-?\d+/.exec(source.slice(at));
    if (number) {
      at += number[0].length;
      return { kind: 'number', value: Number(number[0]) };
    }
    const name = /^[A-Za-z_][\w]*/.exec(source.slice(at))?.[0] ?? fail('a function name expected');
    at += name.length;
    space();
    if (source[at] !== '(') fail(`( expected after ${name}`);
    at++;
    const args: ArmNode[] = [];
    space();
    if (source[at] === ')') at++;
    else
      for (;;) {
        args.push(expression());
        space();
        if (source[at] === ',') at++;
        else if (source[at] === ')') {
          at++;
          break;
        } else fail(', or ) expected');
      }
    return { kind: 'call', name: name.toLowerCase(), args };
  };
  const expression = (): ArmNode => {
    let node = primary();
    for (;;) {
      if (source[at] === '.') {
        at++;
        const name = /^\w+/.exec(source.slice(at))?.[0] ?? fail('a property name expected');
        at += name.length;
        node = { kind: 'property', target: node, name };
      } else if (source[at] === '[') {
        at++;
        const index = expression();
        if (source[at] !== ']') fail('] expected');
        at++;
        node = { kind: 'index', target: node, index };
      } else return node;
    }
  };
  const node = expression();
  space();
  if (at !== source.length) fail('unexpected text');
  return node;
}

/** Every call node in a tree (all branches of `if`, evaluated or not). */
export function callsIn(node: ArmNode): Extract<ArmNode, { kind: 'call' }>[] {
  if (node.kind === 'call') return [node, ...node.args.flatMap(callsIn)];
  if (node.kind === 'property') return callsIn(node.target);
  if (node.kind === 'index') return [...callsIn(node.target), ...callsIn(node.index)];
  return [];
}

/** What an evaluation needs: parameter values, the variables' raw definitions, where the template deploys. */
export interface ArmScope {
  parameters: Record<string, unknown>;
  variables: Record<string, unknown>;
  subscriptionId: string;
  resourceGroup: string;
  location: string;
}

/** The opaque value of `reference(…)` (known only at deployment). */
export const RUNTIME = Symbol('runtime');

const hash = (parts: unknown[]) => createHash('sha256').update(JSON.stringify(parts)).digest('hex');

/** `/subscriptions/…/resourceGroups/…/providers/A.B/x/n1/y/n2` from a type and its name segments. */
export function armResourceId(prefix: string, type: string, names: string[]): string {
  const [namespace, ...types] = type.split('/');
  if (types.length !== names.length)
    throw new Error(`${type} needs ${types.length} name segments, got ${names.join('/')}`);
  return `${prefix}/providers/${namespace}${types.map((t, i) => `/${t}/${names[i]}`).join('')}`;
}

/** Evaluates a template value: strings in `[…]` are expressions, objects and arrays are walked. */
export function evaluateArm(value: unknown, scope: ArmScope): unknown {
  if (typeof value === 'string') {
    if (value.startsWith('[[')) return value.slice(1);
    if (value.startsWith('[') && value.endsWith(']'))
      return evaluateNode(parseArmExpression(value.slice(1, -1)), scope);
    return value;
  }
  if (Array.isArray(value)) return value.map((item) => evaluateArm(item, scope));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, evaluateArm(item, scope)]));
  return value;
}

export function evaluateNode(node: ArmNode, scope: ArmScope): unknown {
  if (node.kind === 'string' || node.kind === 'number') return node.value;
  if (node.kind === 'property') {
    const target = evaluateNode(node.target, scope);
    return target === RUNTIME ? RUNTIME : (target as Record<string, unknown>)[node.name];
  }
  if (node.kind === 'index') {
    const target = evaluateNode(node.target, scope);
    return target === RUNTIME ? RUNTIME : (target as Record<string, unknown>)[String(evaluateNode(node.index, scope))];
  }
  const arg = (i: number) => evaluateNode(node.args[i]!, scope);
  const args = () => node.args.map((a) => evaluateNode(a, scope));
  const group = `/subscriptions/${scope.subscriptionId}/resourceGroups/${scope.resourceGroup}`;
  switch (node.name) {
    case 'parameters': {
      const name = String(arg(0));
      if (!(name in scope.parameters)) throw new Error(`parameters('${name}') is not declared`);
      return scope.parameters[name];
    }
    case 'variables': {
      const name = String(arg(0));
      if (!(name in scope.variables)) throw new Error(`variables('${name}') is not declared`);
      return evaluateArm(scope.variables[name], scope);
    }
    case 'if':
      return arg(0) ? arg(1) : arg(2);
    case 'format': {
      const [template, ...rest] = args();
      return String(template).replace(/\{(\d+)\}/g, (_, i: string) => String(rest[Number(i)]));
    }
    case 'concat': {
      const parts = args();
      return parts.every(Array.isArray) ? parts.flat() : parts.join('');
    }
    case 'tolower':
      return String(arg(0)).toLowerCase();
    case 'replace':
      return String(arg(0))
        .split(String(arg(1)))
        .join(String(arg(2)));
    case 'take':
      return String(arg(0)).slice(0, Number(arg(1)));
    case 'string':
      return typeof arg(0) === 'string' ? arg(0) : JSON.stringify(arg(0));
    case 'empty': {
      const value = arg(0);
      return value === '' || value === null || (Array.isArray(value) && value.length === 0);
    }
    case 'not':
      return !arg(0);
    case 'and':
      return args().every(Boolean);
    case 'or':
      return args().some(Boolean);
    case 'equals':
      return arg(0) === arg(1);
    case 'null':
      return null;
    case 'uniquestring':
      return hash(args()).slice(0, 13);
    case 'guid': {
      const h = hash(args());
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
    }
    case 'resourcegroup':
      return { name: scope.resourceGroup, id: group, location: scope.location };
    case 'subscription':
      return { id: `/subscriptions/${scope.subscriptionId}`, subscriptionId: scope.subscriptionId };
    case 'resourceid': {
      // resourceId([subscriptionId], [resourceGroupName], type, name1, …): the type is the argument whose
      // segments leave exactly as many names after it.
      const values = args().map(String);
      const typeAt = values.findIndex((v, i) => v.includes('/') && v.split('/').length - 1 === values.length - i - 1);
      if (typeAt < 0 || typeAt > 2) throw new Error(`resourceId(${values.join(', ')}): no type with that many names`);
      const [subscriptionId, resourceGroup] =
        typeAt === 2
          ? values
          : typeAt === 1
            ? [scope.subscriptionId, values[0]]
            : [scope.subscriptionId, scope.resourceGroup];
      return armResourceId(
        `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`,
        values[typeAt]!,
        values.slice(typeAt + 1),
      );
    }
    case 'subscriptionresourceid': {
      const [type, ...names] = args().map(String);
      return armResourceId(`/subscriptions/${scope.subscriptionId}`, type!, names);
    }
    case 'extensionresourceid': {
      const [parent, type, ...names] = args().map(String);
      return armResourceId(parent!, type!, names);
    }
    case 'reference':
      return RUNTIME;
    default:
      throw new Error(`${node.name}() is not a function this checker evaluates`);
  }
}
