import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, matchesGlob, relative } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The filesystem and start command of an image, assembled without a container engine. */
export interface EmulatedImage {
  /** Directory standing for the final stage's `/`. */
  readonly root: string;
  /** The final WORKDIR inside root. */
  readonly workdir: string;
  readonly entrypoint: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly user: string | undefined;
  remove(): Promise<void>;
}

interface Stage {
  name: string | undefined;
  args: Record<string, string>;
  root: string;
  workdir: string;
  env: Record<string, string>;
  entrypoint: string[];
  user: string | undefined;
}

function instructions(text: string): Array<[string, string]> {
  const joined = text.replace(/\\\r?\n/g, ' ');
  return joined
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const space = l.indexOf(' ');
      return [l.slice(0, space).toUpperCase(), l.slice(space + 1).trim()];
    });
}

/** `${NAME}` / `$NAME` replaced by the stage's build arguments and environment. */
const expand = (value: string, vars: Readonly<Record<string, string>>) =>
  value.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (_m, a?: string, b?: string) => vars[a ?? b ?? ''] ?? '',
  );

/**
 * Interprets the Dockerfile instructions this project uses (FROM … AS, ARG, WORKDIR, COPY
 * [--from], RUN, ENV, USER, EXPOSE, ENTRYPOINT in exec form) against the build context,
 * honouring .dockerignore; `buildArgs` are `--build-arg` values. RUN executes on this machine
 * (Node 24 standing in for the base image's). Anything else is an error, so the emulation
 * never silently differs.
 */
export async function emulateDockerfile(
  dockerfile: string,
  context: string,
  buildArgs: Readonly<Record<string, string>> = {},
): Promise<EmulatedImage> {
  const work = await mkdtemp(join(tmpdir(), 'image-'));
  const ignore = (await readFile(join(context, '.dockerignore'), 'utf8').catch(() => ''))
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const ignored = (rel: string) => ignore.some((p) => matchesGlob(rel, p) || matchesGlob(rel, `${p}/**`));
  const stages: Stage[] = [];
  const current = () => {
    const stage = stages.at(-1);
    if (stage === undefined) throw new Error('instruction before FROM');
    return stage;
  };
  const inside = (stage: Stage, path: string) =>
    join(stage.root, path.startsWith('/') ? path : join(stage.workdir, path));

  for (const [op, args] of instructions(await readFile(dockerfile, 'utf8'))) {
    switch (op) {
      case 'FROM': {
        const name = /\bAS\s+(\S+)$/i.exec(args)?.[1];
        const root = join(work, `stage-${stages.length}`);
        await mkdir(root, { recursive: true });
        stages.push({ name, args: {}, root, workdir: '/', env: {}, entrypoint: [], user: undefined });
        break;
      }
      case 'ARG': {
        const [k = '', ...v] = args.split('=');
        current().args[k.trim()] = buildArgs[k.trim()] ?? v.join('=');
        break;
      }
      case 'WORKDIR':
        current().workdir = args.startsWith('/') ? args : join(current().workdir, args);
        await mkdir(join(current().root, current().workdir), { recursive: true });
        break;
      case 'ENV': {
        for (const pair of args.split(/\s+/)) {
          const [k, ...v] = pair.split('=');
          if (k === undefined || v.length === 0) throw new Error(`ENV ${args}: use KEY=value`);
          current().env[k.trim()] = expand(v.join('='), { ...current().args, ...current().env });
        }
        break;
      }
      case 'USER':
        current().user = args;
        break;
      case 'EXPOSE':
        break;
      case 'ENTRYPOINT':
        current().entrypoint = JSON.parse(args) as string[];
        break;
      case 'RUN':
        await run('bash', ['-c', args], {
          cwd: join(current().root, current().workdir),
          env: { ...process.env, ...current().env },
          maxBuffer: 32 * 1024 * 1024,
        });
        break;
      case 'COPY': {
        const words = args.split(/\s+/);
        const from = words[0]?.startsWith('--from=') ? words.shift()?.slice('--from='.length) : undefined;
        const dest = words.pop();
        if (dest === undefined || words.length === 0)
          throw new Error(`COPY ${args}: needs a source and a destination`);
        const source = from === undefined ? undefined : stages.find((s) => s.name === from);
        if (from !== undefined && source === undefined) throw new Error(`COPY --from=${from}: no such stage`);
        for (const src of words) {
          const origin = source === undefined ? join(context, src) : inside(source, src);
          const isDir = (await stat(origin)).isDirectory();
          const target =
            dest.endsWith('/') && !isDir
              ? join(inside(current(), dest), basename(src))
              : inside(current(), dest);
          await cp(origin, target, {
            recursive: true,
            verbatimSymlinks: true,
            filter: (path) => source !== undefined || !ignored(relative(context, path)),
          });
        }
        break;
      }
      default:
        throw new Error(`${op}: not supported by the emulation`);
    }
  }
  const last = current();
  return {
    root: last.root,
    workdir: join(last.root, last.workdir),
    entrypoint: last.entrypoint,
    env: last.env,
    user: last.user,
    remove: () => rm(work, { recursive: true, force: true }),
  };
}
