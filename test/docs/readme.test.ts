import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DECIDE_STEP_NAMES } from '../../core/index.ts';
import { policyReference, README_URL, replaceSection } from '../../tools/docs/update-readme.ts';

describe('README', () => {
  const text = readFileSync(README_URL, 'utf8');
  it('carries the policy reference generated from the schema (run `npm run docs` after a schema change)', () => {
    expect(replaceSection(text, 'policy-reference', policyReference())).toBe(text);
  });
  it('documents every policy field with a description', () => {
    const undocumented = policyReference()
      .split('\n')
      .slice(2)
      .filter((row) => /\|\s*\|$/.test(row))
      .map((row) => row.split('|')[1]?.trim());
    expect(undocumented).toEqual([]);
  });
  it('keeps the two set-up commands of the quick start: npm start (tide serve --demo) next to npm test', () => {
    expect(text).toMatch(/^npm ci && npm start /m);
    expect(text).toMatch(/^npm test/m);
  });
});

describe('README: the order of a decision', () => {
  it('lists the steps decide runs, in the order it runs them (core/decide-steps.ts)', () => {
    const text = readFileSync(README_URL, 'utf8');
    const section = text.slice(text.indexOf('### The order of a decision'));
    const list = section.slice(0, section.indexOf('\n\n', section.indexOf('\n1. ')));
    const named = [...list.matchAll(/^\d+\. `([a-z-]+)`/gm)].map((match) => match[1]);
    expect(named).toEqual(DECIDE_STEP_NAMES);
  });
});
