/**
 * The console in a real browser (Debian's Chromium through playwright-core) against `tide serve --demo` as
 * a process: sign in (a wrong key is refused with a message), watch the demo fleet's desired capacity move,
 * open the target, read a decision's reasons, and find that a read-only key can look but not pin capacity.
 * Also measures what the first load of the console transfers (gzip), and prints it.
 * `TIDE_SCREENSHOTS=1` writes the pages' screenshots into docs/.
 */
import { fileURLToPath } from 'node:url';
import type { Page, Response } from 'playwright-core';
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
});
