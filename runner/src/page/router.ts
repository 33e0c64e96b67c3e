/**
 * Serves the seller's "Notifications & Integrations" page (R8) at /delivery: one HTML shell for
 * every path under /delivery (the page routes in the browser), and the compiled front end
 * (runner/page, built into runner/dist/page by `npm run build`) under
 * /delivery/assets/<content hash>/…, cached as immutable since a change of content is a change of
 * path. Every response carries a strict Content-Security-Policy: the page loads only its own
 * scripts and styles, talks only to its own origin, and cannot be framed.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { Router, type Express, type Request, type Response } from 'express';
import { findPackageRoot } from '../../../core/version.js';

export const PAGE_PATH = '/delivery';
/** The page's entry module, relative to the assets folder. */
export const ENTRY_MODULE = 'runner/page/main.js';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

const IMMUTABLE = 'public, max-age=31536000, immutable';

interface Asset {
  body: Buffer;
  contentType: string;
}

export interface PageAssets {
  /** Content hash of every asset: the path segment that makes them cacheable forever. */
  version: string;
  files: ReadonlyMap<string, Asset>;
}

/** The default build output: runner/dist/page under the repository (or package) root. */
export function defaultAssetsDir(): string {
  return join(findPackageRoot(__dirname), 'runner', 'dist', 'page');
}

function walk(dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) walk(full, out);
    else if (entry.isFile() && CONTENT_TYPES[extname(entry.name)]) out.push(full);
  }
}

/** Reads the built page into memory (a few hundred KB); null when it has not been built. */
export function loadPageAssets(dir: string): PageAssets | null {
  if (!existsSync(join(dir, ENTRY_MODULE))) return null;
  const paths: string[] = [];
  walk(dir, paths);
  paths.sort();
  const hash = createHash('sha256');
  const files = new Map<string, Asset>();
  for (const full of paths) {
    const name = relative(dir, full).split(sep).join('/');
    const body = readFileSync(full);
    hash.update(name).update('\0').update(body).update('\0');
    files.set(name, { body, contentType: CONTENT_TYPES[extname(full)] });
  }
  return { version: hash.digest('hex').slice(0, 16), files };
}

function shellHtml(assets: PageAssets): string {
  const base = `${PAGE_PATH}/assets/${assets.version}`;
  // Every module is preloaded, so the browser fetches the whole graph at once instead of
  // discovering it import by import.
  const preloads = [...assets.files.keys()]
    .filter((name) => name.endsWith('.js') && name !== ENTRY_MODULE)
    .map((name) => `<link rel="modulepreload" href="${base}/${name}">`)
    .join('\n    ');
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="color-scheme" content="light">
    <title>Notifications &amp; Integrations</title>
    <link rel="icon" href="${base}/favicon.svg" type="image/svg+xml">
    <link rel="stylesheet" href="${base}/styles.css">
    ${preloads}
    <script type="module" src="${base}/${ENTRY_MODULE}"></script>
  </head>
  <body>
    <div id="app"><p class="loading">Loading…</p></div>
    <noscript><p>The Notifications &amp; Integrations page needs JavaScript.</p></noscript>
  </body>
</html>
`;
}

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Not built</title></head>
<body><p>The /delivery page has not been built. Run <code>npm run build</code> at the repository
root, then restart the runner.</p></body></html>
`;

export interface DeliveryPageOptions {
  /** Where the built page is (default: runner/dist/page). */
  assetsDir?: string;
}

/** The router for /delivery (mounted by `deliveryPage`). */
export function deliveryPageRouter(options: DeliveryPageOptions = {}): Router {
  const assets = loadPageAssets(options.assetsDir ?? defaultAssetsDir());
  const shell = assets ? shellHtml(assets) : null;
  const router = Router({ caseSensitive: true, strict: false });

  router.use((_req: Request, res: Response, next) => {
    res.set(SECURITY_HEADERS);
    next();
  });

  router.get('/assets/:version/*file', (req: Request, res: Response) => {
    const segments = (req.params as { file?: string[] }).file ?? [];
    const asset =
      assets && req.params.version === assets.version
        ? assets.files.get(segments.join('/'))
        : undefined;
    if (!asset) {
      res.status(404).type('text/plain; charset=utf-8').set('Cache-Control', 'no-store');
      res.send('Not found\n');
      return;
    }
    res.status(200).set({ 'Content-Type': asset.contentType, 'Cache-Control': IMMUTABLE });
    res.send(asset.body);
  });

  router.all('/assets{/*rest}', (_req: Request, res: Response) => {
    res.status(404).type('text/plain; charset=utf-8').set('Cache-Control', 'no-store');
    res.send('Not found\n');
  });

  // The shell for every page route; the browser decides what to show.
  router.get(['/', '/*route'], (_req: Request, res: Response) => {
    res.set({ 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' });
    if (!shell) {
      res.status(503).send(NOT_BUILT);
      return;
    }
    res.status(200).send(shell);
  });

  return router;
}

/** The `mount` option of createApp: serves the page at /delivery. */
export function deliveryPage(options: DeliveryPageOptions = {}): (app: Express) => void {
  const router = deliveryPageRouter(options);
  return (app) => {
    app.use(PAGE_PATH, router);
  };
}
