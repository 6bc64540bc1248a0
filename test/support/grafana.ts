/** infra/grafana/tide.json and the PromQL in it, for the dashboard's tests. */
import { readFileSync } from 'node:fs';

export const DASHBOARD = JSON.parse(
  readFileSync(new URL('../../infra/grafana/tide.json', import.meta.url), 'utf8'),
) as {
  panels: { title: string; targets: { expr: string }[] }[];
  templating: { list: { name: string; type: string; query: unknown }[] };
};

/** Every PromQL expression of the dashboard, with where it is. */
export function dashboardQueries(): { where: string; expr: string }[] {
  const panels = DASHBOARD.panels.flatMap((panel) =>
    panel.targets.map((target) => ({ where: `panel "${panel.title}"`, expr: target.expr })),
  );
  const variables = DASHBOARD.templating.list
    .filter((variable) => variable.type === 'query')
    .map((variable) => {
      const query = (variable.query as { query: string }).query;
      // label_values(selector, label): the selector is PromQL.
      const selector = /^label_values\((.*),\s*\w+\)$/.exec(query)?.[1] ?? query;
      return { where: `variable $${variable.name}`, expr: selector };
    });
  return [...panels, ...variables];
}

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
]);

/** The metric names a PromQL expression selects. */
export function metricNamesOf(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = [...bare.matchAll(/([A-Za-z_:][A-Za-z0-9_:]*)\s*(\()?/g)]
    .filter((match) => match[2] === undefined && !KEYWORDS.has(match[1]!))
    .map((match) => match[1]!);
  return [...new Set(names)];
}
