// The runner versions the receiver scenarios compare: this checkout, and with BENCH_BASELINE=<git
// ref> that commit too, prepared once in a cache folder outside the repository. The baseline is
// unpacked with `git archive` rather than `git worktree add`: worktrees share one .git with the
// other engineers' checkouts, and an archive registers nothing there.
const { execFileSync } = require('node:child_process');
const {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const lib = require('./lib');

const MARKER = '.bench-baseline-commit';
const CACHE_DIR =
  process.env.BENCH_BASELINE_DIR ||
  path.join(os.homedir(), '.cache', 'lead-delivery-bench', 'baseline');

const git = (...args) =>
  execFileSync('git', args, { cwd: lib.ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    .toString()
    .trim();

/** Commands whose output would mix into the table go to stderr. */
function run(command, args, cwd) {
  execFileSync(command, args, { cwd, stdio: ['ignore', 2, 2] });
}

function heldCommit(dir) {
  try {
    return readFileSync(path.join(dir, MARKER), 'utf8').trim();
  } catch {
    return null;
  }
}

/** Empties `dir` for a new commit, refusing a folder that this script did not fill. */
function clearCacheDir(dir) {
  if (!existsSync(dir)) return mkdirSync(dir, { recursive: true });
  if (heldCommit(dir) === null && readdirSync(dir).length > 0) {
    throw new Error(`${dir} is not empty and holds no baseline of this benchmark: not touching it`);
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
}

/** The baseline runner root for `ref`, unpacked, installed and built unless it already is. */
function prepareBaseline(ref) {
  const commit = git('rev-parse', '--verify', `${ref}^{commit}`);
  const label = `baseline ${commit.slice(0, 7)}`;
  if (heldCommit(CACHE_DIR) === commit) {
    console.error(`${label}: reusing ${CACHE_DIR}`);
    return { root: CACHE_DIR, commit, label };
  }
  console.error(`${label}: preparing ${CACHE_DIR} (git archive, npm ci, npm run build)`);
  clearCacheDir(CACHE_DIR);
  execFileSync(
    'sh',
    ['-c', 'git archive --format=tar "$1" | tar -x -C "$2"', 'sh', commit, CACHE_DIR],
    {
      cwd: lib.ROOT,
      stdio: ['ignore', 2, 2],
    },
  );
  run('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline'], CACHE_DIR);
  run('npm', ['run', 'build'], CACHE_DIR);
  writeFileSync(path.join(CACHE_DIR, MARKER), `${commit}\n`);
  return { root: CACHE_DIR, commit, label };
}

/** This checkout: its commit, marked `-dirty` when files differ from it. */
function currentVersion() {
  let described = 'unknown';
  try {
    described = git('describe', '--always', '--dirty');
  } catch {
    // not a git checkout: the label stays without a commit
  }
  return { root: lib.ROOT, commit: described, label: `current ${described}` };
}

/** Baseline first (when BENCH_BASELINE names one), then this checkout. */
function versionsToCompare() {
  const ref = process.env.BENCH_BASELINE;
  return ref ? [prepareBaseline(ref), currentVersion()] : [currentVersion()];
}

module.exports = { versionsToCompare };
