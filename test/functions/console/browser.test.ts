/**
 * The console in a real browser (Debian's Chromium through playwright-core) against `tide serve --demo` as
 * a process: sign in (a wrong key is refused with a message), watch the demo fleet's desired capacity move,
 * open the target, read a decision's reasons, and find that a read-only key can look but not pin capacity.
 * Also measures what the first load of the console transfers (gzip), and prints it.
 * `TIDE_SCREENSHOTS=1` writes the pages' screenshots into docs/.
 */
import { fileURLToPath } from 'node:url';
import type { Page, Response } from 'playwright-core';
import { formatProblem, parseDocument } from '../../../core/errors.ts';
import { PolicySchema } from '../../../core/schema/policy.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type Chromium } from '../../support/chromium.ts';
import { startTideServe, waitFor, type TideServe } from '../../support/tide-serve.ts';

const DOCS = fileURLToPath(new URL('../../../docs/', import.meta.url));
const screenshots = process.env.TIDE_SCREENSHOTS === '1';

let serve: TideServe;
let browser: Chromium;
let key: string;

beforeAll(async () => {
  [serve, browser] = await Promise.all([startTideServe(['--demo']), launchChromium()]);
  key = serve.firstKey!;
  expect(key).toMatch(/^tide_/);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await serve?.stop();
});

async function signIn(page: Page, withKey: string): Promise<void> {
  await page.goto(`${serve.url}/`);
  await page.waitForURL(/\/sign-in/);
  await page.getByLabel('API key').fill(withKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

const fleetDesired = async (page: Page) =>
  Number(await page.locator('#fleet tr[data-target="demo-llm"] [data-field="desired"]').textContent());

describe('the console in Chromium', () => {
  it('signs in, shows the demo fleet moving, opens a decision and reads its reasons', async () => {
    const page = await browser.context.newPage();
    // A wrong key: refused, with the reason said where a screen reader announces it.
    await signIn(page, `tide_0123456789abcdef_${'A'.repeat(43)}`);
    await page.getByRole('alert').waitFor({ timeout: 10_000 });
    expect(await page.getByRole('alert').textContent()).toBe('That key was not accepted.');

    // First load of the fleet (cold cache: a fresh profile), bytes on the wire as the browser counts them.
    const responses: Response[] = [];
    page.on('response', (response) => responses.push(response));
    await signIn(page, key);
    await page.waitForURL(`${serve.url}/`);
    await page.locator('#fleet tr[data-target="demo-llm"]').waitFor({ timeout: 20_000 });
    const sizes = await Promise.all(responses.map((r) => r.request().sizes()));
    const transferred = sizes.reduce((total, s) => total + s.responseBodySize + s.responseHeadersSize, 0);
    console.log(
      `console first load: ${(transferred / 1024).toFixed(1)} KB transferred in ${responses.length} responses (gzip)`,
    );
    expect(transferred).toBeLessThan(300 * 1024);
    page.removeAllListeners('response');

    // The fleet moves: the demo's desired capacity changes while the page is open (the page polls).
    const first = await fleetDesired(page);
    await waitFor(
      'the fleet page to show a new desired capacity',
      async () => ((await fleetDesired(page)) !== first ? true : undefined),
      30_000,
    );
    if (screenshots) await page.screenshot({ path: `${DOCS}console-fleet.png` });

    // The target: charts drawn, the summary moving, decisions listed.
    await page.getByRole('link', { name: 'demo-llm' }).click();
    await page.waitForURL(/\/targets\/demo-llm$/);
    await page.locator('#capacity-chart canvas').waitFor({ timeout: 20_000 });
    await page.locator('#metric-chart canvas').waitFor({ timeout: 20_000 });
    const desiredNow = () => page.locator('dd[data-field="desired"]').textContent();
    const before = await desiredNow();
    await waitFor(
      'the target page to show a new desired capacity',
      async () => ((await desiredNow()) !== before ? true : undefined),
      30_000,
    );

    // Open a scale-out decision (filter by outcome) and read its reasons.
    await page.getByLabel('Outcome').selectOption('scale-out');
    const decision = page.locator('#timeline details').first();
    await decision.locator('summary').click();
    const reasons = decision.locator('ul.reasons li');
    await reasons.first().waitFor();
    const text = (await reasons.allTextContents()).join('\n');
    expect(text).toMatch(/concurrent_requests_per_replica [\d.]+ vs target 5\.6/);
    // Focusing a decision puts its reasons in the chart's readout, a live region.
    await decision.locator('summary').focus();
    await expect.poll(() => page.locator('#chart-readout').textContent()).toContain('scale-out');
    if (screenshots) await page.screenshot({ path: `${DOCS}console-target.png`, fullPage: true });
    await page.close();
  }, 60_000);

  it('a read-only key sees the fleet but cannot pin capacity; a write key can', async () => {
    const admin = async (path: string, body: unknown) =>
      (await (
        await fetch(`${serve.url}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
      ).json()) as { key: string };
    const reader = (await admin('/v1/keys', { scopes: ['read'], name: 'console reader' })).key;
    await browser.context.clearCookies();
    const page = await browser.context.newPage();
    await signIn(page, reader);
    await page.locator('#fleet tr[data-target="demo-llm"]').waitFor({ timeout: 20_000 });
    await page.goto(`${serve.url}/targets/demo-llm`);
    await page.getByLabel('Capacity', { exact: true }).fill('3');
    await page.getByLabel('Reason', { exact: true }).fill('load test');
    await page.getByRole('button', { name: 'Pin capacity' }).click();
    await expect
      .poll(() => page.locator('#override-result').textContent())
      .toContain('Not set: this key may not do that');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, key);
    await page.goto(`${serve.url}/targets/demo-llm`);
    await page.getByLabel('Capacity', { exact: true }).fill('3');
    await page.getByLabel('Reason', { exact: true }).fill('load test');
    await page.getByRole('button', { name: 'Pin capacity' }).click();
    await expect.poll(() => page.locator('#override-result').textContent()).toBe('Override set.');
    await expect.poll(() => page.locator('#override-now').textContent(), { timeout: 10_000 }).toContain('Pinned at 3');
    await page.close();
  }, 60_000);
  it("edits a policy: an error shows tide validate's message, the fix validates and dry-runs, saves, and a conflicting save is refused", async () => {
    await browser.context.clearCookies();
    const page = await browser.context.newPage();
    await signIn(page, key);
    await page.waitForURL(`${serve.url}/`);
    await page.goto(`${serve.url}/targets/demo-llm`);
    await page.getByRole('link', { name: 'Edit the policy' }).click();
    await page.waitForURL(/\/targets\/demo-llm\/policy$/);
    const editor = page.getByLabel('Policy (JSON)');
    await waitFor('the saved policy in the editor', async () =>
      (await editor.inputValue()).includes('targetTracking') ? true : undefined,
    );
    const saved = JSON.parse(await editor.inputValue()) as Record<string, unknown>;
    await page.locator('#policy-problems').getByText('Valid policy.').waitFor({ timeout: 10_000 });

    // An error: the message is the one `tide validate` prints for the same document.
    const broken = { ...saved, maxCapacity: -1 };
    const parsed = parseDocument(PolicySchema, broken, 'policy');
    expect(parsed.ok).toBe(false);
    const expected = parsed.ok ? '' : formatProblem(parsed.error.problems[0]!);
    await editor.fill(JSON.stringify(broken, null, 2));
    await page.locator('#policy-problems li').first().waitFor({ timeout: 10_000 });
    expect(await page.locator('#policy-problems li').first().textContent()).toBe(expected);
    expect(await editor.getAttribute('aria-invalid')).toBe('true');
    await editor.fill('{ "maxCapacity": 12, ');
    await page.locator('#policy-problems li', { hasText: 'not JSON at line 1' }).waitFor({ timeout: 10_000 });

    // Fixed: valid, and the dry run shows both policies' decisions now.
    await editor.fill(JSON.stringify({ ...saved, maxCapacity: 12 }, null, 2));
    await page.locator('#policy-problems').getByText('Valid policy.').waitFor({ timeout: 10_000 });
    await page.locator('#dry-run h3', { hasText: 'Under this policy' }).waitFor();
    expect(await page.locator('#dry-run [data-field="outcome"]').count()).toBe(2);
    // The replay: the demo's recent signals, what was decided for each, and what this policy would have.
    await page.locator('#replay-table tbody tr').first().waitFor({ timeout: 20_000 });
    expect(await page.locator('#replay-table tbody tr').count()).toBeGreaterThan(0);
    // Pinned above anything the saved policy (at most 16) could have decided: the replay shows the difference.
    await editor.fill(JSON.stringify({ ...saved, minCapacity: 19, maxCapacity: 19 }, null, 2));
    // (Waited on by its own cells: the replay of the previous text may still be on the page, and it differs too.)
    await page.locator('#replay-table td[data-field="proposed"]', { hasText: /→ 19$/ }).first().waitFor({
      timeout: 10_000,
    });
    expect(await page.locator('#replay-table tr[data-differs="true"]').count()).toBeGreaterThan(0);
    expect(await page.locator('#replay-summary').textContent()).toMatch(/[1-9]\d* would have led to another capacity/);
    // The saved policy replayed alike from an empty memory, beside it: the edit, not the replay's start, differs.
    expect(await page.locator('#replay-table td[data-field="saved"]').first().textContent()).toMatch(/→ \d+$/);
    expect(await page.locator('#replay-table tr[data-differs-saved="true"]').count()).toBeGreaterThan(0);
    expect(await page.locator('#replay-summary').textContent()).toMatch(/saved policy and this one differ on [1-9]/);
    await editor.fill(JSON.stringify({ ...saved, maxCapacity: 12 }, null, 2));
    await page.locator('#policy-problems').getByText('Valid policy.').waitFor({ timeout: 10_000 });
    await page.locator('#replay-table tbody tr').first().waitFor({ timeout: 10_000 });
    if (screenshots) await page.screenshot({ path: `${DOCS}console-policy.png`, fullPage: true });
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => page.locator('#save-result').textContent()).toBe('Saved.');
    const stored = await fetch(`${serve.url}/v1/targets/demo-llm/policy`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(((await stored.json()) as { maxCapacity: number }).maxCapacity).toBe(12);

    // Someone else saves meanwhile; this editor's next save loses, says so, and keeps the text.
    const other = await fetch(`${serve.url}/v1/targets/demo-llm/policy`, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        'if-match': stored.headers.get('etag')!,
      },
      body: JSON.stringify({ ...saved, maxCapacity: 14 }),
    });
    expect(other.status).toBe(200);
    await editor.fill(JSON.stringify({ ...saved, maxCapacity: 10 }, null, 2));
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => page.locator('#save-result').textContent()).toContain('someone else saved this policy');
    expect(JSON.parse(await editor.inputValue()).maxCapacity).toBe(10);
    const after = await fetch(`${serve.url}/v1/targets/demo-llm/policy`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(((await after.json()) as { maxCapacity: number }).maxCapacity).toBe(14);
    await page.close();
  }, 60_000);
  it('runs a simulation of a bundled workload, and refuses a malformed upload with its line and reason', async () => {
    await browser.context.clearCookies();
    const page = await browser.context.newPage();
    await signIn(page, key);
    await page.waitForURL(`${serve.url}/`);
    await page.getByRole('link', { name: 'Simulate' }).click();
    await page.waitForURL(/\/simulate$/);

    // A malformed upload: nothing runs, the line and the reason show.
    await page.getByLabel('Trace file').setInputFiles({
      name: 'bad.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46,374,44\nyesterday,10,10\n'),
    });
    await page.getByRole('button', { name: 'Run the simulation' }).click();
    await page.locator('#sim-error', { hasText: 'line 3' }).waitFor({ timeout: 20_000 });
    expect(await page.locator('#sim-error').textContent()).toMatch(/^Not run: line 3: /);
    expect(await page.locator('#sim-results').isHidden()).toBe(true);

    // The bundled code-completion trace: Tide against the baselines.
    await page.getByLabel('A bundled workload').check();
    await page.getByLabel('Workload', { exact: true }).selectOption('code');
    // Every value the progress bar takes (the server's worker reports the share done as it replays).
    // (A string: the test's TypeScript has no DOM types.)
    await page.evaluate(`(() => {
      const bar = document.getElementById('sim-progress');
      const seen = (window.progressSeen = []);
      new MutationObserver(() => {
        if (bar.hasAttribute('value')) seen.push(bar.value);
      }).observe(bar, { attributes: true, attributeFilter: ['value'] });
    })()`);
    await page.getByRole('button', { name: 'Run the simulation' }).click();
    await page.locator('#sim-table tr[data-run="tide"]').waitFor({ timeout: 50_000 });
    const seen = (await page.evaluate('window.progressSeen')) as number[];
    expect(seen.some((value) => value > 0 && value < 1)).toBe(true);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(await page.locator('#sim-table tbody tr').count()).toBeGreaterThanOrEqual(4);
    expect(await page.locator('#sim-error').textContent()).toBe('');
    await page.locator('#sim-capacity canvas').waitFor();
    if (screenshots) await page.screenshot({ path: `${DOCS}console-simulate.png`, fullPage: true });
    await page.close();
  }, 60_000);
});
