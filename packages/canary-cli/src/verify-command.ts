import { checkKubectl } from './gitops/kustomize.ts';
import { RULES } from './gitops/rules/index.ts';
import { verifyRepository } from './gitops/verify.ts';

/** Renders every environment and the sample PRs, runs every rule, prints findings and a summary. */
export async function verifyCommand(repoRoot: string): Promise<number> {
  await checkKubectl();
  const started = performance.now();
  const progress = (line: string) => process.stderr.write(`verify: ${line}\n`);
  const report = await verifyRepository(repoRoot, progress);
  for (const f of report.findings) {
    process.stdout.write(
      `✖ [${f.rule}] ${f.file}: ${f.object}${f.path === '' ? '' : ` ${f.path}`}: ${f.message}\n    fix: ${f.fix}\n`,
    );
  }
  const apps = report.scenes.reduce((n, s) => n + s.canary.length, 0);
  const failed = new Set(report.findings.map((f) => f.rule));
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    `verify: ${report.objectCount} objects in ${report.scenes.length} environments and ${apps} PR Applications; ` +
      `${RULES.length} rules, ${RULES.length - failed.size} passed, ${failed.size} failed (${report.findings.length} findings) in ${seconds} s\n`,
  );
  return report.findings.length === 0 ? 0 : 1;
}
