/**
 * A real n8n server for the tests: n8n from the cache test/n8n/install-n8n.sh fills, this
 * package installed the way n8n installs a community package, workflows and credentials imported
 * with n8n's own CLI, and `n8n start` headless on a free port with its own user folder and SQLite.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const N8N_VERSION = process.env.N8N_VERSION ?? '2.41.1';
const CACHE = process.env.LEAD_DELIVERY_N8N_CACHE ?? join(homedir(), '.cache', 'lead-delivery-n8n');
export const N8N_HOME = join(CACHE, N8N_VERSION);
const N8N_BIN = join(N8N_HOME, 'node_modules', 'n8n', 'bin', 'n8n');
const ROOT = resolve(__dirname, '..', '..');

/** A port nobody listens on now: listen on port 0, read it, close. */
export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

export interface N8nServer {
  port: number;
  baseUrl: string;
  userFolder: string;
  /** n8n's production URL of a webhook node: `/webhook/<webhookId>/<path>`. */
  webhookUrl(webhookId: string, path: string): string;
  /** Runs an n8n CLI command in this server's user folder; what it printed (its log, at info). */
  cli(...args: string[]): Promise<string>;
  start(): Promise<void>;
  stop(): Promise<void>;
  log(): string;
}

/**
 * The JSON `n8n execute --rawOutput` printed: n8n's CLI prints through its logger, among other log
 * lines, so it is the block from a line `{` to the next line `}` (nested ones are indented).
 */
export function printedJson(output: string): unknown {
  const lines = output.split('\n');
  const start = lines.indexOf('{');
  const end = lines.indexOf('}', start);
  if (start < 0 || end < 0) throw new Error(`no JSON printed in:\n${output}`);
  return JSON.parse(lines.slice(start, end + 1).join('\n'));
}

export async function prepareN8n(): Promise<N8nServer> {
  if (!existsSync(N8N_BIN)) {
    throw new Error(
      `n8n ${N8N_VERSION} is not installed in ${N8N_HOME}: run test/n8n/install-n8n.sh`,
    );
  }
  const userFolder = mkdtempSync(join(tmpdir(), 'lead-delivery-n8n-'));
  const port = await freePort();
  const brokerPort = await freePort();
  const logFile = join(userFolder, 'n8n.log');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: userFolder,
    N8N_USER_FOLDER: userFolder,
    N8N_PORT: String(port),
    N8N_LISTEN_ADDRESS: '127.0.0.1',
    N8N_HOST: '127.0.0.1',
    N8N_RUNNERS_BROKER_PORT: String(brokerPort),
    N8N_RUNNERS_BROKER_LISTEN_ADDRESS: '127.0.0.1',
    N8N_ENCRYPTION_KEY: 'lead-delivery-n8n-test-key',
    DB_TYPE: 'sqlite',
    N8N_DIAGNOSTICS_ENABLED: 'false',
    N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
    N8N_TEMPLATES_ENABLED: 'false',
    N8N_VERIFIED_PACKAGES_ENABLED: 'false',
    N8N_PERSONALIZATION_ENABLED: 'false',
    N8N_COMMUNITY_PACKAGES_ENABLED: 'true',
    N8N_REINSTALL_MISSING_PACKAGES: 'false',
    N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
    N8N_LOG_LEVEL: 'info',
    N8N_LOG_OUTPUT: 'console',
  };
  let child: ChildProcess | undefined;
  let exited: Promise<void> | undefined;

  const server: N8nServer = {
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    userFolder,
    webhookUrl: (webhookId, path) => `http://127.0.0.1:${port}/webhook/${webhookId}/${path}`,
    async cli(...args) {
      const { stdout, stderr } = await run(process.execPath, [N8N_BIN, ...args], {
        env,
        cwd: userFolder,
        maxBuffer: 64 * 1024 * 1024,
      });
      return `${stdout}${stderr}`;
    },
    async start() {
      const out = createWriteStream(logFile);
      child = spawn(process.execPath, [N8N_BIN, 'start'], { env, cwd: userFolder, stdio: 'pipe' });
      child.stdout?.pipe(out);
      child.stderr?.pipe(out);
      const current = child;
      exited = new Promise((done) => current.once('exit', () => done()));
      let died = false;
      void exited.then(() => {
        died = true;
      });
      // Ready when its health check answers; the caller waits for its webhooks itself.
      for (;;) {
        if (died) throw new Error(`n8n exited while starting:\n${server.log()}`);
        try {
          const response = await fetch(`${server.baseUrl}/healthz/readiness`);
          if (response.ok) return;
        } catch {
          // not listening yet
        }
        await new Promise((done) => setTimeout(done, 250));
      }
    },
    async stop() {
      if (child && child.exitCode === null && child.pid !== undefined) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child?.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(timer);
      }
      if (process.env.KEEP_N8N_FOLDER !== '1') rmSync(userFolder, { recursive: true, force: true });
    },
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
  };
  return server;
}

/**
 * This package as n8n installs a community package (n8n 2.41's CommunityPackagesService
 * downloadPackage): the packed tarball unpacked into `<user folder>/.n8n/nodes/node_modules/<name>`,
 * its package.json without devDependencies, peerDependencies and optionalDependencies, its
 * dependencies installed there with n8n's npm flags (no scripts, no lock file, shallow), and the
 * package listed in `.n8n/nodes/package.json`. n8n finds it by scanning that folder at start.
 */
export async function installPackedPackage(
  server: N8nServer,
): Promise<{ name: string; version: string }> {
  const packDir = join(server.userFolder, 'pack');
  mkdirSync(packDir, { recursive: true });
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', packDir], {
    cwd: ROOT,
    maxBuffer: 64 * 1024 * 1024,
  });
  const [packed] = JSON.parse(stdout) as Array<{ name: string; version: string; filename: string }>;
  const nodesDir = join(server.userFolder, '.n8n', 'nodes');
  const packageDir = join(nodesDir, 'node_modules', packed.name);
  mkdirSync(packageDir, { recursive: true });
  await run('tar', [
    '-xzf',
    join(packDir, packed.filename),
    '-C',
    packageDir,
    '--strip-components=1',
  ]);
  const manifestPath = join(packageDir, 'package.json');
  const { devDependencies, peerDependencies, optionalDependencies, ...manifest } = JSON.parse(
    readFileSync(manifestPath, 'utf8'),
  ) as Record<string, unknown>;
  void devDependencies;
  void peerDependencies;
  void optionalDependencies;
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
  await run(
    'npm',
    [
      'install',
      '--audit=false',
      '--fund=false',
      '--bin-links=false',
      '--install-strategy=shallow',
      '--ignore-scripts=true',
      '--package-lock=false',
      '--loglevel=error',
    ],
    { cwd: packageDir, maxBuffer: 64 * 1024 * 1024 },
  );
  writeFileSync(
    join(nodesDir, 'package.json'),
    JSON.stringify(
      { name: 'installed-nodes', private: true, dependencies: { [packed.name]: packed.version } },
      null,
      2,
    ),
  );
  return { name: packed.name, version: packed.version };
}
