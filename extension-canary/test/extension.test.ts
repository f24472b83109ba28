/// <reference types="chrome" />
// The extension in a real Chromium (Debian's, driven by playwright-core) against the lab
// running canary 123: header injection per site, switching off, the popup, and the badge.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { manifestRoutes } from 'canary-cli/lab-routes';
import { Lab } from 'local-runtime/lab';
import { type BrowserContext, chromium, type Page, type Worker } from 'playwright-core';
import { requireTool } from 'test-harness/tools';
import { waitFor } from 'test-harness/wait';

const here = fileURLToPath(new URL('..', import.meta.url));
const repoRoot = join(here, '..');
const missing =
  (await requireTool('/usr/bin/chromium', ['--version'], 'chromium')) ||
  (await requireTool('kubectl', ['version', '--client=true'], 'kubectl'));

type Canary = {
  setSite(host: string, pr: string | null, enabled: boolean): Promise<void>;
  badge(tabId: number): Promise<{ text: string; title: string; state: { warning: boolean } }>;
};

describe('extension-canary in Chromium', { skip: missing }, () => {
  let lab: Lab;
  let context: BrowserContext;
  let worker: Worker;
  let page: Page;
  let profile: string;
  let base: string;
  const setSite = (host: string, pr: string | null, enabled: boolean) =>
    worker.evaluate(
      ([h, p, e]) =>
        (globalThis as unknown as { canary: Canary }).canary.setSite(
          h as string,
          p as string | null,
          e as boolean,
        ),
      [host, pr, enabled] as const,
    );
  const tabId = () =>
    worker.evaluate(
      async (url) => (await chrome.tabs.query({})).find((t) => t.url?.startsWith(url as string))?.id ?? -1,
      base,
    );
  // Same-origin fetches of tenant data, authenticated as the api requires.
  const fetchServedBy = async (url: string) =>
    page.evaluate(
      async ([u, token]) => {
        const r = await fetch(u as string, { headers: { authorization: `Bearer ${token}` } });
        return r.headers.get('x-served-by') ?? '';
      },
      [url, await lab.token('demo')] as const,
    );

  before(async () => {
    await promisify(execFile)(process.execPath, [join(here, 'build.ts')]);
    lab = await Lab.start({ repoRoot, routes: manifestRoutes, port: 0, publicPort: 0, dataDir: undefined });
    await lab.add(123, { services: ['api-service', 'store-service'] });
    base = `http://localhost:${lab.ports.internal}`;
    profile = await mkdtemp(join(tmpdir(), 'chromium-profile-'));
    const dist = join(here, 'dist');
    context = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: [
        `--disable-extensions-except=${dist}`,
        `--load-extension=${dist}`,
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
    page = await context.newPage();
  });
  after(async () => {
    await context?.close();
    await lab?.stop();
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  it('a page load and a fetch() reach PR 123 at every hop; an unconfigured host gets no header; off restores stable', async () => {
    await setSite('localhost', '123', true);
    const load = await page.goto(`${base}/openapi.json`);
    assert.match(
      load?.headers()['x-served-by'] ?? '',
      /^api-service@pr-123 /,
      'main_frame request carried X-Canary',
    );
    assert.match(await fetchServedBy('/v1/items'), /^api-service@pr-123 \(.*\), store-service@pr-123 /);
    // 127.0.0.1 is another host, not configured with a PR: no header, stable.
    const other = await page.goto(`http://127.0.0.1:${lab.ports.internal}/openapi.json`);
    assert.match(other?.headers()['x-served-by'] ?? '', /^api-service@stable /);
    await page.goto(`${base}/openapi.json`);
    await setSite('localhost', '123', false);
    assert.match(await fetchServedBy('/v1/items'), /^api-service@stable .*store-service@stable /);
    await setSite('localhost', '123', true);
  });

  it('the badge shows the PR, and warns when no hop was served by the canary', async () => {
    await setSite('localhost', '123', true);
    await page.goto(`${base}/openapi.json`);
    const id = await tabId();
    // The badge is redrawn when the navigation commits: poll briefly for the expected text.
    const badgeWith = async (text: string) => {
      const current = () =>
        worker.evaluate((t) => (globalThis as unknown as { canary: Canary }).canary.badge(t as number), id);
      let badge = await current();
      await waitFor(
        async () => {
          badge = await current();
          return badge.text === text;
        },
        {
          timeout: 2000,
          interval: 50,
          what: () => `the badge to show ${text} (shows ${badge.text})`,
        },
      );
      return badge;
    };
    let badge = await badgeWith('123');
    assert.equal(badge.text, '123');
    assert.equal(badge.state.warning, false);
    await setSite('localhost', '999', true); // no canary for 999: everything stable
    await page.goto(`${base}/openapi.json`);
    badge = await badgeWith('999');
    assert.equal(badge.text, '999');
    assert.equal(badge.state.warning, true);
    assert.match(badge.title, /no hop was served by the canary/);
    await setSite('localhost', '123', true);
  });

  it('popup: set a PR, change it, reject abc with a message, show the chain of the active tab', async () => {
    await setSite('localhost', '123', true);
    await page.goto(`${base}/openapi.json`);
    await fetchServedBy('/v1/items');
    const id = await tabId();
    const extension = new URL(worker.url()).host;
    const popup = await context.newPage();
    await popup.setViewportSize({ width: 380, height: 460 });
    await popup.goto(
      `chrome-extension://${extension}/popup.html?host=localhost&tab=${id}&protocol=http:&port=${lab.ports.internal}`,
    );
    await popup.locator('#chain li .tag').first().waitFor();
    assert.deepEqual(await popup.locator('#chain li').allTextContents(), [
      `api-service (${(await popup.locator('#chain li').first().textContent())?.match(/\((.*)\)/)?.[1]})pr-123`,
      `store-service (${(await popup.locator('#chain li').nth(1).textContent())?.match(/\((.*)\)/)?.[1]})pr-123`,
    ]);
    assert.equal(await popup.inputValue('#pr'), '123');
    const preview = (await popup.locator('#preview-link').getAttribute('href')) ?? '';
    assert.equal(preview, `http://pr-123.localhost:${lab.ports.internal}/`);
    // The preview link works in the browser itself, without the extension's header.
    await setSite('localhost', '123', false);
    const viaPreview = await page.goto(`${preview}openapi.json`);
    assert.match(
      viaPreview?.headers()['x-served-by'] ?? '',
      /^api-service@pr-123 /,
      'the preview hostname reached PR 123',
    );
    await setSite('localhost', '123', true);
    await popup.fill('#pr', '77');
    await popup.click('button[type=submit]');
    await popup.locator('.recent button', { hasText: '77' }).waitFor();
    await popup.fill('#pr', 'abc');
    await popup.click('button[type=submit]');
    assert.match((await popup.locator('#error').textContent()) ?? '', /"abc" is not a PR number/);
    assert.equal(await popup.locator('#error').isVisible(), true);
    const stored = await worker.evaluate(() => chrome.storage.local.get('settings'));
    assert.equal(
      (stored.settings as { sites: Array<{ host: string; pr: string }> }).sites.find(
        (s) => s.host === 'localhost',
      )?.pr,
      '77',
    );
    await popup.fill('#pr', '123');
    await popup.click('button[type=submit]');
    await popup.locator('#error').waitFor({ state: 'hidden' });
    await mkdir(join(repoRoot, 'test-results'), { recursive: true });
    await popup.screenshot({ path: join(repoRoot, 'test-results', 'extension-popup.png') });
  });
});
