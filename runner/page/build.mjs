// Builds the /delivery page into runner/dist/page (or --out <dir>): tsc compiles the page and the
// core modules it imports (runner/page/tsconfig.json) into browser ES modules, and the static
// files are copied next to them. No bundler: the browser loads the modules as they are, and the
// runner serves them under a content-hashed path with immutable caching.
import { execFileSync } from 'node:child_process';
import { copyFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const STATIC_FILES = ['styles.css', 'favicon.svg'];

export function buildPage(outDir = join(here, '..', 'dist', 'page')) {
  const out = resolve(outDir);
  rmSync(out, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', join(here, 'tsconfig.json'), '--outDir', out], {
      stdio: 'inherit',
    });
  } catch {
    throw new Error('The /delivery page did not compile (see the tsc errors above)');
  }
  for (const file of STATIC_FILES) copyFileSync(join(here, file), join(out, file));
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const flag = process.argv.indexOf('--out');
  try {
    buildPage(flag > 0 ? process.argv[flag + 1] : undefined);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
