/**
 * Loads a community node package the way n8n 2.x does, in a plain Node process (no jest module
 * system, no TypeScript): reads package.json's `n8n` block, `require()`s every listed dist file as
 * CommonJS, takes the export named after the file's basename, instantiates it and reports what it
 * found as JSON on stdout. Used by loader.test.ts: `node n8nLoader.js <package root>`.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { builtinModules } = require('node:module');

const root = path.resolve(process.argv[2] ?? '.');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const n8n = manifest.n8n ?? {};

function iconFiles(icon, baseDir) {
  if (icon === undefined) return [];
  const variants = typeof icon === 'string' ? { default: icon } : icon;
  return Object.entries(variants).map(([variant, value]) => {
    const relative = String(value).replace(/^file:/, '');
    const absolute = path.resolve(baseDir, relative);
    const inside = absolute.startsWith(root + path.sep);
    const exists = fs.existsSync(absolute);
    return {
      variant,
      value,
      usesFileProtocol: String(value).startsWith('file:'),
      path: path.relative(root, absolute),
      inside,
      exists,
      content: exists ? fs.readFileSync(absolute, 'utf8') : null,
    };
  });
}

/** Bare `require()`s of a compiled file and of the package-local files it requires, recursively. */
function bareRequires(file, seen = new Set()) {
  if (seen.has(file)) return [];
  seen.add(file);
  const source = fs.readFileSync(file, 'utf8');
  const found = [];
  for (const match of source.matchAll(/require\((["'])([^"']+)\1\)/g)) {
    const specifier = match[2];
    if (specifier.startsWith('.')) {
      let target = path.resolve(path.dirname(file), specifier);
      if (!target.endsWith('.js') && !target.endsWith('.json')) target += '.js';
      if (fs.existsSync(target) && target.endsWith('.js'))
        found.push(...bareRequires(target, seen));
    } else {
      found.push(specifier);
    }
  }
  return found;
}

function load(listed, kind) {
  const absolute = path.join(root, listed);
  const entry = { listed, kind, exists: fs.existsSync(absolute) };
  if (!entry.exists) return entry;
  const className = path.basename(listed).split('.')[0];
  entry.className = className;
  try {
    const exported = require(absolute);
    entry.exportNames = Object.keys(exported);
    const Type = exported[className];
    entry.isClass =
      typeof Type === 'function' && /^class\s/.test(Function.prototype.toString.call(Type));
    const instance = new Type();
    const dir = path.dirname(absolute);
    if (kind === 'node') {
      entry.description = JSON.parse(JSON.stringify(instance.description));
      entry.icons = iconFiles(instance.description.icon, dir);
      entry.hasExecute = typeof instance.execute === 'function';
      entry.hasWebhook = typeof instance.webhook === 'function';
      entry.credentialTests = Object.keys(instance.methods?.credentialTest ?? {});
      const codexPath = absolute.replace(/\.js$/, '.json');
      entry.codex = fs.existsSync(codexPath)
        ? JSON.parse(fs.readFileSync(codexPath, 'utf8'))
        : null;
    } else {
      entry.credential = JSON.parse(JSON.stringify(instance));
      entry.icons = iconFiles(instance.icon, dir);
    }
    const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
    entry.bareRequires = [...new Set(bareRequires(absolute))].filter((name) => !builtins.has(name));
  } catch (error) {
    entry.loadError = error && error.stack ? error.stack : String(error);
  }
  return entry;
}

const report = {
  name: manifest.name,
  type: manifest.type ?? null,
  n8nNodesApiVersion: n8n.n8nNodesApiVersion,
  runtimeDependencies: Object.keys(manifest.dependencies ?? {}),
  peerDependencies: Object.keys(manifest.peerDependencies ?? {}),
  nodes: (n8n.nodes ?? []).map((file) => load(file, 'node')),
  credentials: (n8n.credentials ?? []).map((file) => load(file, 'credential')),
};
process.stdout.write(JSON.stringify(report));
