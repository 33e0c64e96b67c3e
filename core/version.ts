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

interface FoundManifest {
  directory: string;
  version: string;
}

function findManifest(startDirectory: string): FoundManifest | null {
  let directory = startDirectory;
  for (;;) {
    try {
      const manifest = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (manifest.name === PACKAGE_NAME) {
        return { directory, version: typeof manifest.version === 'string' ? manifest.version : '' };
      }
    } catch {
      // no (readable) package.json at this level: keep walking up
    }
    const parent = dirname(directory);
    if (parent === directory) return null;
    directory = parent;
  }
}

/** The version of n8n-nodes-lead-delivery above `startDirectory`, or 0.0.0 when none is found. */
export function findPackageVersion(startDirectory: string): string {
  return findManifest(startDirectory)?.version || FALLBACK_VERSION;
}

/**
 * The directory holding the n8n-nodes-lead-delivery package.json above `startDirectory` (the
 * repository root in development, the package folder when installed), e.g. to find workflows/.
 */
export function findPackageRoot(startDirectory: string): string {
  const found = findManifest(startDirectory);
  if (!found) {
    throw new Error(`No package.json of ${PACKAGE_NAME} found above ${startDirectory}`);
  }
  return found.directory;
}

let cached: string | undefined;

export function packageVersion(): string {
  cached ??= findPackageVersion(__dirname);
  return cached;
}

export function defaultUserAgent(): string {
  return `lead-delivery/${packageVersion()}`;
}
