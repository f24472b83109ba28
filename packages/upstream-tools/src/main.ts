import { MissingGoError } from './go.ts';
import { ensureTool, TOOL_NAMES, type ToolName } from './tools.ts';

/** `npm run tools [NAME ...]`: builds the upstream programs ahead of their first use. */
async function main(args: string[]): Promise<number> {
  const unknown = args.filter((a) => !(TOOL_NAMES as string[]).includes(a));
  if (unknown.length > 0) {
    process.stderr.write(`tools: unknown tool ${unknown.join(', ')} (known: ${TOOL_NAMES.join(', ')})\n`);
    return 2;
  }
  const names = args.length === 0 ? TOOL_NAMES : (args as ToolName[]);
  const started = Date.now();
  for (const name of names) {
    const tool = await ensureTool(name);
    process.stdout.write(
      `${tool.name.padEnd(24)} ${tool.version.padEnd(10)} ${tool.buildSeconds === 0 ? 'up to date' : `built in ${tool.buildSeconds.toFixed(0)} s`}  ${tool.path}\n`,
    );
  }
  process.stdout.write(`tools: ${names.length} ready in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: Error) => {
    process.stderr.write(`${err instanceof MissingGoError ? '' : 'tools: '}${err.message}\n`);
    process.exitCode = 1;
  },
);
