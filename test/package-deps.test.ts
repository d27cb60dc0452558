// The production image keeps only `dependencies` (npm prune --omit=dev): a package the gateway
// imports at run time but lists under devDependencies builds and tests fine, then fails to start.
// `yaml` did exactly that. Type-only imports vanish at compile time and are left out.
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

/** Bare specifiers of value imports (`import x from`, `import {a} from`, `import 'x'`, `import('x')`). */
function runtimeImports(source: string): string[] {
  const found: string[] = [];
  const statement = /^\s*import\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;
  const dynamic = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const pattern of [statement, dynamic]) {
    for (const match of source.matchAll(pattern)) found.push(match[1]!);
  }
  return found.filter((specifier) => !specifier.startsWith('.') && !specifier.startsWith('node:'));
}

describe('runtime dependencies', () => {
  it('every package src/ imports at run time is a dependency, not a devDependency', () => {
    const builtins = new Set(builtinModules);
    const missing = new Map<string, string>();
    for (const file of sourceFiles(join(root, 'src'))) {
      for (const specifier of runtimeImports(readFileSync(file, 'utf8'))) {
        const name = packageOf(specifier);
        if (builtins.has(name) || name in pkg.dependencies) continue;
        missing.set(name, file.slice(root.length));
      }
    }
    expect(Object.fromEntries(missing)).toEqual({});
  });

  it('the check sees a runtime import and skips a type-only one', () => {
    expect(runtimeImports("import { parse } from 'yaml';\nimport type { X } from 'zz';\nawait import('pg');")).toEqual([
      'yaml',
      'pg',
    ]);
  });
});
