// Part of `npm run build`: tsc compiles only TypeScript, so the key console's static files
// (src/console: HTML, plain JS modules, CSS, SVG) are copied beside the compiled code, where
// src/plugins/console.ts looks for them at dist/console.
// Only what changed is written (each file replaced whole, by rename), and files no longer in
// src/console are removed: a build with nothing changed touches nothing, so a gateway that a
// concurrent test run starts from dist/ never sees the directory half copied.
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const from = fileURLToPath(new URL('../src/console/', import.meta.url));
const to = fileURLToPath(new URL('../dist/console/', import.meta.url));

function sync(source, target) {
  mkdirSync(target, { recursive: true });
  const wanted = new Set();
  for (const entry of readdirSync(source, { withFileTypes: true })) {
    wanted.add(entry.name);
    const [src, dest] = [join(source, entry.name), join(target, entry.name)];
    if (entry.isDirectory()) {
      sync(src, dest);
      continue;
    }
    const content = readFileSync(src);
    if (existsSync(dest) && readFileSync(dest).equals(content)) continue;
    const temporary = `${dest}.${process.pid}.tmp`;
    writeFileSync(temporary, content);
    renameSync(temporary, dest);
  }
  for (const name of readdirSync(target)) {
    if (!wanted.has(name)) rmSync(join(target, name), { recursive: true, force: true });
  }
}

sync(from, to);
