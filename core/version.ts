/**
 * The package version for `User-Agent: lead-delivery/<version>`. Read from package.json by
 * walking up from this file, because the compiled file lives at different depths: core/ under
 * ts-jest, dist/core/ in the n8n package, runner/dist/core/ in the runner (whose own
 * package.json, lead-delivery-runner, is skipped on the way up).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const PACKAGE_NAME = 'n8n-nodes-lead-delivery';
const FALLBACK_VERSION = '0.0.0';

export function findPackageVersion(startDirectory: string): string {
  let directory = startDirectory;
  for (;;) {
    try {
      const manifest = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (manifest.name === PACKAGE_NAME && typeof manifest.version === 'string') {
        return manifest.version;
      }
    } catch {
      // no (readable) package.json at this level: keep walking up
    }
    const parent = dirname(directory);
    if (parent === directory) return FALLBACK_VERSION;
    directory = parent;
  }
}

let cached: string | undefined;

export function packageVersion(): string {
  cached ??= findPackageVersion(__dirname);
  return cached;
}

export function defaultUserAgent(): string {
  return `lead-delivery/${packageVersion()}`;
}

/** The directory of this package's package.json (the repository root in development). */
export function findPackageRoot(startDirectory: string): string {
  let directory = startDirectory;
  for (;;) {
    try {
      const manifest = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as {
        name?: unknown;
      };
      if (manifest.name === PACKAGE_NAME) return directory;
    } catch {
      // no (readable) package.json at this level: keep walking up
    }
    const parent = dirname(directory);
    if (parent === directory)
      throw new Error(`No ${PACKAGE_NAME} package.json above ${startDirectory}`);
    directory = parent;
  }
}
