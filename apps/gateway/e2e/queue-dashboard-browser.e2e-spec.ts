import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { startGateway, type RunningGateway } from './gateway-harness';

/** Debian's Chromium (browser downloads are blocked here); `.ci/run` installs it. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('queue dashboard in a real browser', () => {
  let gateway: RunningGateway;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (.ci/run does) or set CHROMIUM_PATH`);
    gateway = await startGateway({ driver: 'sqlite' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  });
  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
  });

  it('refuses the page without the admin token', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const statuses: number[] = [];
    page.on('response', (response) => statuses.push(response.status()));
    // Headless Chromium cannot show the Basic prompt the 401 asks for, so navigation fails.
    await expect(page.goto(`${gateway.httpUrl}/admin/queues`)).rejects.toThrow(/ERR_INVALID_AUTH_CREDENTIALS/);
    // Every response the browser got was the refusal: no page, no asset, no queue data.
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((status) => status === 401)).toBe(true);
    await context.close();
  });

  it('renders every queue with the token', async () => {
    const context = await browser.newContext({ extraHTTPHeaders: { authorization: 'Bearer test-admin-token' } });
    const page = await context.newPage();
    const response = await page.goto(`${gateway.httpUrl}/admin/queues`);
    expect(response?.status()).toBe(200);
    for (const queue of ['otp', 'telephony', 'email', 'push', 'duo', 'events']) {
      await page.getByText(queue, { exact: true }).first().waitFor({ timeout: 15_000 });
    }
    expect(await page.title()).toContain('MFA queues');
    await context.close();
  });
});
