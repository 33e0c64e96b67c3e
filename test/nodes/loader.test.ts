/**
 * The package as a real n8n 2.x loads it (docs/../shared/design.md, "How a real n8n 2.x loads the
 * package"): CommonJS dist files listed in package.json, each exporting a class named after its
 * file, icons inside the package, codex files next to the nodes, n8nNodesApiVersion 1. n8n drops
 * the whole package silently when any of this is wrong, so it is checked on the built dist/.
 *
 * dist/ is used when it is complete and newer than the sources; otherwise it is built once here
 * with `tsc -p tsconfig.build.json && gulp build:assets` (not `npm run build`, which also builds
 * the runner workspace).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { Loose } from './fakeContext';

const ROOT = path.resolve(__dirname, '..', '..');
const PACKAGE = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  type?: string;
  n8n: { n8nNodesApiVersion: unknown; nodes: string[]; credentials: string[] };
};

interface IconReport {
  variant: string;
  value: string;
  usesFileProtocol: boolean;
  path: string;
  inside: boolean;
  exists: boolean;
  content: string | null;
}

interface EntryReport {
  listed: string;
  exists: boolean;
  className?: string;
  exportNames?: string[];
  isClass?: boolean;
  loadError?: string;
  description?: Record<string, Loose>;
  credential?: Record<string, Loose>;
  icons?: IconReport[];
  hasExecute?: boolean;
  hasWebhook?: boolean;
  credentialTests?: string[];
  codex?: Record<string, Loose> | null;
  bareRequires?: string[];
}

interface LoadReport {
  name: string;
  type: string | null;
  n8nNodesApiVersion: unknown;
  runtimeDependencies: string[];
  peerDependencies: string[];
  nodes: EntryReport[];
  credentials: EntryReport[];
}

function filesUnder(dir: string, pattern: RegExp): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => path.join(dir, name))
    .filter((file) => pattern.test(file) && fs.statSync(file).isFile());
}

/** True when every listed dist file exists and none is older than a source it is built from. */
function distIsFresh(): boolean {
  const listed = [...PACKAGE.n8n.nodes, ...PACKAGE.n8n.credentials].map((f) => path.join(ROOT, f));
  if (!listed.every((file) => fs.existsSync(file))) return false;
  const oldestBuilt = Math.min(...listed.map((file) => fs.statSync(file).mtimeMs));
  const sources = ['core', 'nodes', 'credentials'].flatMap((dir) =>
    filesUnder(path.join(ROOT, dir), /\.(ts|svg|json)$/),
  );
  const newestSource = Math.max(...sources.map((file) => fs.statSync(file).mtimeMs));
  return newestSource <= oldestBuilt;
}

function build(): void {
  const options = { cwd: ROOT, timeout: 120_000, stdio: 'pipe' as const };
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], options);
  execFileSync('npx', ['gulp', 'build:assets'], options);
}

let report: LoadReport;

beforeAll(() => {
  if (!distIsFresh()) build();
  const stdout = execFileSync(process.execPath, [path.join(__dirname, 'n8nLoader.js'), ROOT], {
    cwd: ROOT,
    timeout: 60_000,
    encoding: 'utf8',
  });
  report = JSON.parse(stdout) as LoadReport;
}, 180_000);

describe('package.json as n8n reads it', () => {
  it('is a CommonJS n8n community package with n8nNodesApiVersion 1', () => {
    expect(report.name).toMatch(/^n8n-nodes-/);
    expect(report.type).toBeNull();
    expect(report.n8nNodesApiVersion).toBe(1);
    expect(PACKAGE.n8n.nodes).toHaveLength(6);
    expect(PACKAGE.n8n.credentials).toHaveLength(2);
  });
});

describe.each(PACKAGE.n8n.nodes)('node %s', (listed) => {
  const entry = (): EntryReport => report.nodes.find((n) => n.listed === listed) as EntryReport;

  it('exists in dist and loads with require() into a class named after the file', () => {
    const node = entry();
    expect(node.exists).toBe(true);
    expect(node.loadError).toBeUndefined();
    expect(node.exportNames).toContain(node.className);
    expect(node.isClass).toBe(true);
  });

  it('has a complete version 1 description', () => {
    const { description, hasExecute, hasWebhook } = entry();
    expect(description).toBeDefined();
    const d = description as Record<string, Loose>;
    expect(typeof d.name).toBe('string');
    expect(typeof d.displayName).toBe('string');
    expect(d.version).toBe(1);
    expect(Array.isArray(d.properties)).toBe(true);
    expect(Array.isArray(d.inputs)).toBe(true);
    expect(Array.isArray(d.outputs)).toBe(true);
    expect(d.outputs.length).toBeGreaterThan(0);
    expect(d.outputs.every((o: unknown) => o === 'main')).toBe(true);
    expect(typeof d.subtitle).toBe('string');
    expect(d.defaults?.name).toBe(d.displayName);
    if (d.group.includes('trigger')) {
      expect(d.inputs).toEqual([]);
      expect(hasWebhook).toBe(true);
      expect(d.usableAsTool).toBeUndefined();
    } else {
      expect(d.inputs).toEqual(['main']);
      expect(hasExecute).toBe(true);
      expect(d.usableAsTool).toBe(true);
    }
  });

  it('has light and dark icons inside the package, different from each other', () => {
    const { icons } = entry();
    expect(icons?.map((i) => i.variant).sort()).toEqual(['dark', 'light']);
    for (const icon of icons ?? []) {
      expect(icon.usesFileProtocol).toBe(true);
      expect(icon.inside).toBe(true);
      expect(icon.exists).toBe(true);
      expect(icon.content).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    }
    const [a, b] = icons ?? [];
    expect(a.path).not.toBe(b.path);
    expect(a.content).not.toBe(b.content);
  });

  it('has its codex file next to it naming the node type', () => {
    const { codex, description } = entry();
    expect(codex).toMatchObject({
      node: `${PACKAGE.name}.${description?.name}`,
      nodeVersion: '1.0',
      codexVersion: '1.0',
      categories: expect.arrayContaining(['Development']),
    });
    expect(codex?.resources?.primaryDocumentation?.[0]?.url).toMatch(/^https:\/\//);
  });

  it('references only credentials of this package, tested where it uses them', () => {
    const { description, credentialTests } = entry();
    const known = report.credentials.map((c) => c.credential?.name);
    for (const reference of description?.credentials ?? []) {
      expect(known).toContain(reference.name);
      if (typeof reference.testedBy === 'string') {
        expect(credentialTests).toContain(reference.testedBy);
      }
    }
  });

  it('requires nothing but Node built-ins, n8n-workflow and the runtime dependencies', () => {
    const allowed = [...report.runtimeDependencies, ...report.peerDependencies];
    expect(entry().bareRequires).toContain('n8n-workflow');
    for (const name of entry().bareRequires ?? []) {
      const packageName = name.startsWith('@')
        ? name.split('/').slice(0, 2).join('/')
        : name.split('/')[0];
      expect(allowed).toContain(packageName);
    }
  });
});

describe.each(PACKAGE.n8n.credentials)('credential %s', (listed) => {
  const entry = (): EntryReport =>
    report.credentials.find((c) => c.listed === listed) as EntryReport;

  it('exists in dist and loads into a class named after the file', () => {
    const credential = entry();
    expect(credential.exists).toBe(true);
    expect(credential.loadError).toBeUndefined();
    expect(credential.exportNames).toContain(credential.className);
    expect(credential.isClass).toBe(true);
  });

  it('has a name matching its class, a display name, properties and a documentation URL', () => {
    const { credential, className } = entry();
    const expectedName =
      (className as string).charAt(0).toLowerCase() + (className as string).slice(1);
    expect(credential?.name).toBe(expectedName);
    expect(typeof credential?.displayName).toBe('string');
    expect(Array.isArray(credential?.properties)).toBe(true);
    expect(credential?.properties.length).toBeGreaterThan(0);
    expect(credential?.documentationUrl).toMatch(/^https:\/\//);
  });

  it('has light and dark icons inside the package, different from each other', () => {
    const { icons } = entry();
    expect(icons?.map((i) => i.variant).sort()).toEqual(['dark', 'light']);
    for (const icon of icons ?? []) {
      expect(icon.inside).toBe(true);
      expect(icon.exists).toBe(true);
    }
    expect(icons?.[0].content).not.toBe(icons?.[1].content);
  });
});

describe('npm pack (what n8n installs)', () => {
  test('the tarball holds every listed node and credential with its icons and codex, and no runner or tests', () => {
    const output = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    });
    const [pack] = JSON.parse(output) as Array<{ files: Array<{ path: string }> }>;
    const files = new Set(pack.files.map((file) => file.path));
    for (const listed of [...PACKAGE.n8n.nodes, ...PACKAGE.n8n.credentials]) {
      expect(files.has(listed)).toBe(true);
    }
    for (const listed of PACKAGE.n8n.nodes) {
      const folder = path.posix.dirname(listed);
      const base = path.posix.basename(listed, '.js');
      expect(files.has(`${folder}/${base}.json`)).toBe(true);
      expect(
        [...files].filter((file) => file.startsWith(`${folder}/`) && file.endsWith('.svg')),
      ).toHaveLength(2);
    }
    expect(files.has('package.json')).toBe(true);
    expect([...files].filter((file) => /^(runner|test|bench|workflows)\//.test(file))).toEqual([]);
    expect([...files].filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual(
      [],
    );
  });
});
