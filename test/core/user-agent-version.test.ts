/** R5: the User-Agent version is found from any compiled location of core/. */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  defaultUserAgent,
  findPackageRoot,
  findPackageVersion,
  packageVersion,
} from '../../core/version.js';

describe('package version lookup', () => {
  test('walks up past other package.json files to n8n-nodes-lead-delivery', () => {
    const root = mkdtempSync(join(tmpdir(), 'ld-version-'));
    writeFileSync(
      join(root, 'package.json'),
      JSON.stringify({ name: 'n8n-nodes-lead-delivery', version: '9.8.7' }),
    );
    const runnerCore = join(root, 'runner', 'dist', 'core');
    mkdirSync(runnerCore, { recursive: true });
    writeFileSync(
      join(root, 'runner', 'package.json'),
      JSON.stringify({ name: 'lead-delivery-runner', version: '1.0.0' }),
    );
    writeFileSync(join(root, 'runner', 'dist', 'package.json'), '{ not json');
    expect(findPackageVersion(runnerCore)).toBe('9.8.7');
    expect(findPackageRoot(runnerCore)).toBe(root);
  });

  test('falls back to 0.0.0 when no package.json of ours is found', () => {
    const nowhere = mkdtempSync(join(tmpdir(), 'ld-none-'));
    expect(findPackageVersion(nowhere)).toBe('0.0.0');
    expect(() => findPackageRoot(nowhere)).toThrow(/No package.json of n8n-nodes-lead-delivery/);
  });

  test('from the sources: the repository version', () => {
    const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'));
    expect(packageVersion()).toBe(manifest.version);
    expect(findPackageRoot(__dirname)).toBe(join(__dirname, '..', '..'));
    expect(defaultUserAgent()).toBe(`lead-delivery/${packageVersion()}`);
  });
});
