// Gives every Nx project the same lint and typecheck targets (run once after adding a project).
import { readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const files = execFileSync('git', ['ls-files', '--others', '--cached', '--exclude-standard', '*/project.json', '*/*/project.json'], { encoding: 'utf8' })
  .split('\n')
  .filter(Boolean);
for (const file of files) {
  const project = JSON.parse(readFileSync(file, 'utf8'));
  const root = file.replace(/\/project\.json$/, '');
  project.targets ??= {};
  project.targets.lint = { executor: 'nx:run-commands', options: { command: `eslint ${root}`, cwd: '{workspaceRoot}' } };
  project.targets.typecheck = { executor: 'nx:run-commands', options: { command: `tsc -p ${root}/tsconfig.json --noEmit`, cwd: '{workspaceRoot}' } };
  writeFileSync(file, `${JSON.stringify(project, null, 2)}\n`);
}
console.log(`targets written for ${files.length} projects`);
