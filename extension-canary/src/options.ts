import { type Settings, validateHost, validatePr } from './logic.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const send = <T>(message: Record<string, unknown>) => chrome.runtime.sendMessage(message) as Promise<T>;

function showError(message: string | null) {
  const error = $<HTMLParagraphElement>('error');
  error.hidden = message === null;
  error.textContent = message ?? '';
}

async function render() {
  const settings = await send<Settings>({ type: 'settings' });
  $('sites').replaceChildren(
    ...settings.sites.map((site) => {
      const row = document.createElement('tr');
      const host = document.createElement('td');
      host.textContent = site.host;
      const pr = document.createElement('td');
      const input = document.createElement('input');
      input.value = site.pr ?? '';
      input.addEventListener('change', async () => {
        if (input.value.trim() === '') return void (await save(site.host, null, site.enabled));
        const result = validatePr(input.value);
        if (!result.ok) return showError(result.message);
        await save(site.host, result.pr, site.enabled);
      });
      pr.append(input);
      const on = document.createElement('td');
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.checked = site.enabled;
      box.addEventListener('change', () => void save(site.host, site.pr, box.checked));
      on.append(box);
      const remove = document.createElement('td');
      const button = document.createElement('button');
      button.textContent = 'Remove';
      button.addEventListener('click', async () => {
        await send({ type: 'remove', host: site.host });
        await render();
      });
      remove.append(button);
      row.append(host, pr, on, remove);
      return row;
    }),
  );
}

async function save(host: string, pr: string | null, enabled: boolean) {
  showError(null);
  await send({ type: 'set', host, pr, enabled });
  await render();
}

$<HTMLFormElement>('add').addEventListener('submit', async (event) => {
  event.preventDefault();
  const host = validateHost($<HTMLInputElement>('host').value);
  if (!host.ok) return showError(host.message);
  const raw = $<HTMLInputElement>('pr').value;
  const pr = raw.trim() === '' ? null : validatePr(raw);
  if (pr !== null && !pr.ok) return showError(pr.message);
  await save(host.host, pr === null ? null : pr.pr, true);
});
void render();
