/**
 * `npm run docs`: regenerate the generated parts of README.md (the policy reference) from the schemas.
 * `test/docs/readme.test.ts` fails when the README drifts from what this writes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { PolicySchema } from '../../core/index.ts';
import { markdownReference } from './schema-reference.ts';
import { loadCron } from '../../adapters/cron/load.ts';
import { loadExchangeCalendars } from '../../adapters/calendars/load.ts';

// Policies may carry cron lines (core/cron.ts reads them with croner, handed in here).
await loadCron();
await loadExchangeCalendars();

export const README_URL = new URL('../../README.md', import.meta.url);

/** Replace what stands between `<!-- NAME:start -->` and `<!-- NAME:end -->`. */
export function replaceSection(text: string, name: string, body: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`README has no ${start} … ${end} section`);
  return `${text.slice(0, from + start.length)}\n${body}\n${text.slice(to)}`;
}

export function policyReference(): string {
  return markdownReference(PolicySchema);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) {
  const text = readFileSync(README_URL, 'utf8');
  writeFileSync(README_URL, replaceSection(text, 'policy-reference', policyReference()));
  console.log('README.md: policy reference regenerated');
}
