/**
 * The part of Go text/template that the ApplicationSets use: `{{ .param }}` with
 * `missingkey=error`. Anything else (functions, pipelines, conditionals) is refused with
 * the place it occurs, so a template never renders differently here than in Argo CD.
 */
export class TemplateError extends Error {
  override name = 'TemplateError';
}

const ACTION = /\{\{(-?)\s*(.*?)\s*(-?)\}\}/g;
const FIELD = /^\.([A-Za-z_][A-Za-z0-9_]*)$/;

function renderString(text: string, params: Readonly<Record<string, unknown>>, where: string): string {
  return text.replace(ACTION, (whole, _l: string, inner: string) => {
    const field = FIELD.exec(inner);
    if (field?.[1] === undefined) {
      throw new TemplateError(
        `${where}: unsupported template action ${whole} (only {{ .param }} is supported)`,
      );
    }
    const key = field[1];
    if (!Object.hasOwn(params, key)) {
      throw new TemplateError(`${where}: map has no entry for key "${key}" (missingkey=error)`);
    }
    const value = params[key];
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new TemplateError(
        `${where}: {{ .${key} }} is a ${Array.isArray(value) ? 'list' : typeof value}, not a scalar`,
      );
    }
    return String(value);
  });
}

/** Renders every string inside `value` (keys are not templated, as in Argo CD). */
export function renderTemplate<T>(
  value: T,
  params: Readonly<Record<string, unknown>>,
  where = 'template',
): T {
  if (typeof value === 'string') return renderString(value, params, where) as T;
  if (Array.isArray(value)) return value.map((v, i) => renderTemplate(v, params, `${where}[${i}]`)) as T;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, renderTemplate(v, params, `${where}.${k}`)]),
    ) as T;
  }
  return value;
}
