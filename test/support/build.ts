// vitest globalSetup: build dist/ once per run, the way `npm start` does, so the process tests run
// the compiled gateway (dist/main.js) rather than compiling TypeScript at every start. The build is
// incremental: with nothing changed it takes well under a second.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

export default function build(): void {
  // npm_execpath is set under `npm test` and `npx vitest`: the same npm, run by this Node.
  const npm = process.env.npm_execpath;
  const [command, args] = npm ? [process.execPath, [npm, 'run', '--silent', 'build']] : ['npm', ['run', '--silent', 'build']];
  execFileSync(command, args, { cwd: root, stdio: 'inherit' });
}
