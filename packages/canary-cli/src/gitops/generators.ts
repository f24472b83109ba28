import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parse } from 'yaml';
import { renderTemplate, TemplateError } from './go-template.ts';
import { at, describe, type K8sObject } from './objects.ts';

/** A pull request as the pull-request generator reads it from GitHub. */
export interface PullRequest {
  readonly number: number;
  readonly headSha: string;
  readonly labels: readonly string[];
  /** The head branch, as GitHub names it (any case, slashes, underscores, any length). */
  readonly branch: string;
  /** The base branch (default `main`). */
  readonly targetBranch?: string;
  readonly title?: string;
  readonly author?: string;
}

/** What generators read: the default branch's checkout, and the PR being rendered (if any). */
export interface GeneratorContext {
  readonly root: string;
  readonly pullRequest?: PullRequest;
}

type Params = Record<string, unknown>;

export class GeneratorError extends Error {
  override name = 'GeneratorError';
}

const SLUG_MAX = 50;

/**
 * `branch_slug` as Argo CD makes it (gosimple/slug with MaxLength 50 and `_` → `-`): trim,
 * `&` → `and`, `@` → `at`, accents dropped, lower case, every run of other characters
 * → `-`, dashes trimmed at both ends, then cut at the last `-` at or before 50 characters
 * (at 50 when there is none). Non-ASCII letters without a plain decomposition become `-`
 * (Argo CD transliterates them; a branch name is ASCII in practice).
 */
export function slug(value: string): string {
  const s = value
    .trim()
    .replaceAll('&', 'and')
    .replaceAll('@', 'at')
    .replaceAll('_', '-')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '-')
    .replace(/-+/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '');
  if (s.length <= SLUG_MAX) return s;
  const cut = s.lastIndexOf('-', SLUG_MAX);
  return cut >= 0 ? s.slice(0, cut) : s.slice(0, SLUG_MAX);
}

/** The git files generator's normalized path names (lower case, other runs → `-`, 50 characters). */
const normalizedName = (value: string) =>
  value
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 50)
    .replace(/-+$/, '');

/** The pull-request generator's parameters (names and types as Argo CD 3.3's: `number` is a string). */
export function pullRequestParams(pr: PullRequest): Params {
  if (!/^[0-9a-f]{40}$/.test(pr.headSha))
    throw new GeneratorError(`head sha must be 40 hex characters, got "${pr.headSha}"`);
  const target = pr.targetBranch ?? 'main';
  return {
    number: String(pr.number),
    title: pr.title ?? `PR ${pr.number}`,
    branch: pr.branch,
    branch_slug: slug(pr.branch),
    target_branch: target,
    target_branch_slug: slug(target),
    head_sha: pr.headSha,
    head_short_sha: pr.headSha.slice(0, 8),
    head_short_sha_7: pr.headSha.slice(0, 7),
    author: pr.author ?? 'someone',
    labels: [...pr.labels],
  };
}

/** `values` of a generator, templated with its parameters, under `.values` (as Argo CD does). */
function withValues(params: Params, values: unknown, where: string): Params {
  if (values === undefined) return params;
  if (typeof values !== 'object' || values === null || Array.isArray(values))
    throw new GeneratorError(`${where}.values must be a map of strings`);
  return { ...params, values: renderTemplate(values as Record<string, string>, params, `${where}.values`) };
}

/** Git files generator: each file's object, or each element of a file holding a list. */
function gitFiles(spec: Record<string, unknown>, context: GeneratorContext, where: string): Params[] {
  if (spec.directories !== undefined)
    throw new GeneratorError(`${where}: git directories are not supported by canary render`);
  const files = spec.files;
  if (!Array.isArray(files) || files.length === 0) throw new GeneratorError(`${where}.files is required`);
  return files.flatMap((entry, i) => {
    const path = at(entry, 'path');
    if (typeof path !== 'string' || /[*?[]/.test(path))
      throw new GeneratorError(
        `${where}.files[${i}].path must be a file path (globs are not supported here)`,
      );
    let text: string;
    try {
      text = readFileSync(join(context.root, path), 'utf8');
    } catch {
      throw new GeneratorError(`${where}.files[${i}]: ${path} not found in the default branch`);
    }
    const parsed: unknown = parse(text);
    const objects = Array.isArray(parsed) ? parsed : [parsed];
    return objects.map((object, n) => {
      if (typeof object !== 'object' || object === null || Array.isArray(object))
        throw new GeneratorError(`${where}: ${path} element ${n + 1} is not a map`);
      const dir = dirname(path);
      const params: Params = {
        ...(object as Params),
        path: {
          path: dir,
          basename: basename(dir),
          filename: basename(path),
          basenameNormalized: normalizedName(basename(dir)),
          filenameNormalized: normalizedName(basename(path)),
          segments: dir.split('/'),
        },
      };
      return withValues(params, spec.values, where);
    });
  });
}

function pullRequests(spec: Record<string, unknown>, context: GeneratorContext, where: string): Params[] {
  if (spec.filters !== undefined)
    throw new GeneratorError(`${where}.filters is not supported by canary render (filter by labels)`);
  const pr = context.pullRequest;
  if (pr === undefined) return [];
  const required = (at(spec, 'github', 'labels') as string[] | undefined) ?? [];
  if (!required.every((label) => pr.labels.includes(label))) return [];
  return [withValues(pullRequestParams(pr), spec.values, where)];
}

/** The parameter sets of one generator (git files, pullRequest, or a matrix of two). */
export function generate(generator: unknown, context: GeneratorContext, where: string): Params[] {
  if (typeof generator !== 'object' || generator === null)
    throw new GeneratorError(`${where}: expected a generator`);
  const kinds = Object.keys(generator);
  if (kinds.length !== 1)
    throw new GeneratorError(`${where}: expected one generator kind, got ${kinds.join(', ') || 'none'}`);
  const kind = kinds[0] as string;
  const spec = (generator as Record<string, unknown>)[kind] as Record<string, unknown>;
  switch (kind) {
    case 'git':
      return gitFiles(spec, context, `${where}.git`);
    case 'pullRequest':
      return pullRequests(spec, context, `${where}.pullRequest`);
    case 'matrix': {
      const children = spec.generators;
      if (!Array.isArray(children) || children.length !== 2)
        throw new GeneratorError(`${where}.matrix: exactly two child generators`);
      return generate(children[0], context, `${where}.matrix.generators[0]`).flatMap((first) => {
        // Argo CD renders the second generator with the first one's parameters.
        let second: unknown;
        try {
          second = renderTemplate(children[1], first, `${where}.matrix.generators[1]`);
        } catch (err) {
          if (err instanceof TemplateError) throw new GeneratorError(err.message);
          throw err;
        }
        return generate(second, context, `${where}.matrix.generators[1]`).map((other) => {
          const clash = Object.keys(other).filter((k) => k in first && k !== 'values');
          if (clash.length > 0)
            throw new GeneratorError(`${where}.matrix: both generators set ${clash.join(', ')}`);
          const values = { ...(first.values as Params | undefined), ...(other.values as Params | undefined) };
          return { ...first, ...other, ...(Object.keys(values).length > 0 ? { values } : {}) };
        });
      });
    }
    default:
      throw new GeneratorError(`${where}: the ${kind} generator is not supported by canary render`);
  }
}

/** True when a generator involves the pull-request generator (a PR ApplicationSet). */
export function involvesPullRequests(generator: unknown): boolean {
  if (typeof generator !== 'object' || generator === null) return false;
  const g = generator as Record<string, unknown>;
  if (g.pullRequest !== undefined) return true;
  const children = at(g, 'matrix', 'generators');
  return Array.isArray(children) && children.some(involvesPullRequests);
}

/** The Applications an ApplicationSet generates (rendered with Go templates, missingkey=error). */
export function instantiateApplicationSet(set: K8sObject, context: GeneratorContext): K8sObject[] {
  const name = describe(set);
  if (at(set, 'spec', 'goTemplate') !== true)
    throw new GeneratorError(
      `${name}: spec.goTemplate must be true (the default fasttemplate engine is not supported)`,
    );
  if (at(set, 'spec', 'templatePatch') !== undefined)
    throw new GeneratorError(`${name}: spec.templatePatch is not supported by canary render`);
  const generators = at(set, 'spec', 'generators');
  if (!Array.isArray(generators) || generators.length === 0)
    throw new GeneratorError(`${name}: spec.generators is empty`);
  const template = at(set, 'spec', 'template') as Record<string, unknown>;
  return generators.flatMap((generator, g) =>
    generate(generator, context, `${name} spec.generators[${g}]`).map((params) => {
      try {
        const application = renderTemplate(template, params, `${name} spec.template`);
        return {
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Application',
          ...application,
          metadata: { ...(application.metadata as object), namespace: set.metadata.namespace },
        } as K8sObject;
      } catch (err) {
        if (err instanceof TemplateError) throw new GeneratorError(err.message);
        throw err;
      }
    }),
  );
}
