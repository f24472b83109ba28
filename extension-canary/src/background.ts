import { CANARY_ERROR_HEADER, DEFAULT_HOSTS, SERVED_BY_HEADER } from './defaults.ts';
import {
  badgeFor,
  dnrRules,
  type LastResponse,
  parseServedBy,
  type Settings,
  siteFor,
  withPr,
} from './logic.ts';

const lastByTab = new Map<number, LastResponse>();

async function settings(): Promise<Settings> {
  const stored = (await chrome.storage.local.get('settings')).settings as Settings | undefined;
  return stored ?? { sites: DEFAULT_HOSTS.map((host) => ({ host, pr: null, enabled: true })), recent: [] };
}

/** Replaces every dynamic rule in one call, so a change is never half applied. */
async function applyRules(current: Settings): Promise<void> {
  const existing = await chrome.declarativeNetRequest.getDynamicRules();
  await chrome.declarativeNetRequest.updateDynamicRules({
    removeRuleIds: existing.map((r) => r.id),
    addRules: dnrRules(current) as chrome.declarativeNetRequest.Rule[],
  });
}

async function updateBadge(tabId: number, url: string | undefined): Promise<void> {
  if (url === undefined || !/^https?:/.test(url)) return;
  const badge = badgeFor(siteFor(await settings(), new URL(url).hostname), lastByTab.get(tabId));
  await chrome.action.setBadgeText({ tabId, text: badge.text });
  await chrome.action.setBadgeBackgroundColor({ tabId, color: badge.color });
  await chrome.action.setTitle({ tabId, title: badge.title });
}

async function save(next: Settings): Promise<void> {
  await chrome.storage.local.set({ settings: next });
  await applyRules(next);
}

/** The API the popup, the options page (and tests, through the worker) use. */
const api = {
  settings,
  async setSite(host: string, pr: string | null, enabled: boolean) {
    await save(withPr(await settings(), host, pr, enabled));
    const tabs = await chrome.tabs.query({});
    await Promise.all(tabs.map((t) => (t.id === undefined ? undefined : updateBadge(t.id, t.url))));
  },
  async removeSite(host: string) {
    const current = await settings();
    await save({ ...current, sites: current.sites.filter((s) => s.host !== host) });
  },
  last: (tabId: number) => lastByTab.get(tabId) ?? null,
  badge: async (tabId: number) => ({
    text: await chrome.action.getBadgeText({ tabId }),
    title: await chrome.action.getTitle({ tabId }),
    state: badgeFor(
      siteFor(await settings(), new URL((await chrome.tabs.get(tabId)).url ?? 'about:blank').hostname),
      lastByTab.get(tabId),
    ),
  }),
};
(globalThis as unknown as { canary: typeof api }).canary = api;

chrome.runtime.onInstalled.addListener(() => {
  void settings().then(applyRules);
});
chrome.runtime.onStartup.addListener(() => {
  void settings().then(applyRules);
});

// Non-blocking: read what served each response to a configured site.
chrome.webRequest.onHeadersReceived.addListener(
  (details) => {
    if (details.tabId < 0) return;
    const header = (name: string) =>
      details.responseHeaders?.find((h) => h.name.toLowerCase() === name)?.value ?? null;
    const servedBy = header(SERVED_BY_HEADER);
    if (servedBy === null && header(CANARY_ERROR_HEADER) === null) return;
    lastByTab.set(details.tabId, {
      url: details.url,
      hops: parseServedBy(servedBy),
      error: header(CANARY_ERROR_HEADER),
    });
    void chrome.tabs.get(details.tabId).then(
      (tab) => updateBadge(details.tabId, tab.url ?? details.url),
      () => undefined,
    );
  },
  { urls: ['http://*/*', 'https://*/*'] },
  ['responseHeaders'],
);

// A navigation resets a tab's badge once it commits: draw it again from what was seen.
chrome.tabs.onUpdated.addListener((tabId, change, tab) => {
  if (change.status !== undefined || change.url !== undefined) void updateBadge(tabId, tab.url);
});

chrome.runtime.onMessage.addListener((message: { type: string; [key: string]: unknown }, _sender, reply) => {
  const run = async () => {
    switch (message.type) {
      case 'settings':
        return api.settings();
      case 'set':
        return api.setSite(
          String(message.host),
          (message.pr as string | null) ?? null,
          Boolean(message.enabled),
        );
      case 'remove':
        return api.removeSite(String(message.host));
      case 'last':
        return api.last(Number(message.tabId));
      default:
        throw new Error(`unknown message ${message.type}`);
    }
  };
  run().then(reply, (err: unknown) => reply({ error: (err as Error).message }));
  return true;
});
