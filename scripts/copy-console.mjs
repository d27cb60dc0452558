// Part of `npm run build`: tsc compiles only TypeScript, so the key console's static files
// (src/console: HTML, plain JS modules, CSS, SVG) are copied beside the compiled code, where
// src/plugins/console.ts looks for them at dist/console.
import { cpSync, rmSync } from 'node:fs';

const from = new URL('../src/console/', import.meta.url);
const to = new URL('../dist/console/', import.meta.url);
rmSync(to, { recursive: true, force: true }); // no stale files from an older build
cpSync(from, to, { recursive: true });
