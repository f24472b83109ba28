import { type LastResponse, previewUrl, type Settings, siteFor, validatePr } from './logic.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const send = <T>(message: Record<string, unknown>) => chrome.runtime.sendMessage(message) as Promise<T>;

async function activeTab(): Promise<{ id: number; host: string; protocol: string; port: string }> {
  // ?host=&tab=&port= lets the page be opened outside the toolbar (tests, screenshots).
  const params = new URLSearchParams(location.search);
  if (params.has('host'))
    return {
      id: Number(params.get('tab') ?? -1),
      host: params.get('host') ?? '',
      protocol: params.get('protocol') ?? 'http:',
      port: params.get('port') ?? '',
    };
  const [tab] = await chrome.tabs.query({ active: true, currentWindow: true });
  const url = tab?.url ? new URL(tab.url) : undefined;
  return {
    id: tab?.id ?? -1,
    host: url?.hostname ?? '',
    protocol: url?.protocol ?? 'https:',
    port: url?.port ?? '',
  };
}

function showError(message: string | null) {
  const error = $<HTMLParagraphElement>('error');
  error.hidden = message === null;
  error.textContent = message ?? '';
}

async function render() {
  const tab = await activeTab();
  const settings = await send<Settings>({ type: 'settings' });
  const site = siteFor(settings, tab.host);
  $('host').textContent = tab.host || '(no site)';
  $<HTMLInputElement>('pr').value = site?.pr ?? '';
  $<HTMLInputElement>('enabled').checked = site?.enabled ?? false;
  // The same PR as a link, for a client that cannot send X-Canary (chat, phone, webhook).
  const preview = $<HTMLParagraphElement>('preview');
  preview.hidden = !site?.pr;
  if (site?.pr) {
    const link = $<HTMLAnchorElement>('preview-link');
    link.href = previewUrl(tab.host, site.pr, tab.protocol, tab.port);
    link.textContent = link.href;
  }
  const recent = $('recent');
  recent.replaceChildren(
    ...settings.recent.map((pr) => {
      const button = document.createElement('button');
      button.textContent = pr;
      button.title = `Use PR ${pr}`;
      button.addEventListener('click', () => void setPr(pr));
      return button;
    }),
  );
  const last = await send<LastResponse | null>({ type: 'last', tabId: tab.id });
  const chain = $('chain');
  if (last !== null && last.hops.length > 0) {
    chain.replaceChildren(
      ...last.hops.map((hop) => {
        const li = document.createElement('li');
        li.textContent = `${hop.service} (${hop.version})`;
        const tag = document.createElement('span');
        tag.className = `tag ${hop.canary ? 'canary' : 'stable'}`;
        tag.textContent = hop.canary ? hop.track : 'stable';
        li.append(tag);
        return li;
      }),
    );
  }
  const warning = $<HTMLParagraphElement>('warning');
  const pr = site?.enabled ? site.pr : null;
  const message =
    last?.error != null
      ? `The API ignored the key: ${last.error}.`
      : pr !== null && last !== null && last.hops.length > 0 && !last.hops.some((h) => h.track === `pr-${pr}`)
        ? `No hop was served by PR ${pr}: is its canary deployed?`
        : null;
  warning.hidden = message === null;
  warning.textContent = message ?? '';
}

async function setPr(input: string) {
  const result = validatePr(input);
  if (!result.ok) {
    showError(result.message);
    return;
  }
  showError(null);
  const tab = await activeTab();
  await send({ type: 'set', host: tab.host, pr: result.pr, enabled: true });
  await render();
}

$<HTMLFormElement>('form').addEventListener('submit', (event) => {
  event.preventDefault();
  void setPr($<HTMLInputElement>('pr').value);
});
$<HTMLInputElement>('enabled').addEventListener('change', async (event) => {
  const tab = await activeTab();
  const settings = await send<Settings>({ type: 'settings' });
  const pr = siteFor(settings, tab.host)?.pr ?? null;
  await send({ type: 'set', host: tab.host, pr, enabled: (event.target as HTMLInputElement).checked });
  await render();
});
void render();
