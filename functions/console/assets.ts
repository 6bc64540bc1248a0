/**
 * The console's static files, every one served by Tide itself (no CDN, nothing fetched at run time): the
 * page script and style from functions/console/assets/, and uPlot's build from node_modules (a dependency,
 * so `npm ci` brings it). Read once, gzipped once, named by content hash so a browser may keep them forever.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export interface Asset {
  name: string;
  type: string;
  body: Buffer;
  gzip: Buffer;
  hash: string;
}

/**
 * This directory in the sources (functions/console/) or, from the bundled CLI in dist/, the sources'
 * directory beside it: the first that holds the assets.
 */
const ASSET_DIR =
  ['./assets/', '../functions/console/assets/']
    .map((relative) => fileURLToPath(new URL(relative, import.meta.url)))
    .find((dir) => existsSync(`${dir}console.js`)) ?? fileURLToPath(new URL('./assets/', import.meta.url));

const SOURCES: Record<string, { type: string; path: () => string }> = {
  'console.js': { type: 'text/javascript; charset=utf-8', path: () => `${ASSET_DIR}console.js` },
  'console.css': { type: 'text/css; charset=utf-8', path: () => `${ASSET_DIR}console.css` },
  'uplot.js': {
    type: 'text/javascript; charset=utf-8',
    path: () => createRequire(import.meta.url).resolve('uplot/dist/uPlot.iife.min.js'),
  },
  'uplot.css': {
    type: 'text/css; charset=utf-8',
    path: () => createRequire(import.meta.url).resolve('uplot/dist/uPlot.min.css'),
  },
};

let loaded: Map<string, Asset> | undefined;

/** Every asset, read and compressed on first use. */
export function consoleAssets(): Map<string, Asset> {
  if (loaded) return loaded;
  const assets = new Map<string, Asset>();
  for (const [name, source] of Object.entries(SOURCES)) {
    const body = readFileSync(source.path());
    assets.set(name, {
      name,
      type: source.type,
      body,
      gzip: gzipSync(body, { level: 9 }),
      hash: createHash('sha256').update(body).digest('base64url').slice(0, 16),
    });
  }
  loaded = assets;
  return assets;
}

/** `/assets/<name>?v=<hash>`: a URL that changes when the file does. */
export function assetUrl(name: string): string {
  const asset = consoleAssets().get(name);
  return `/assets/${name}${asset ? `?v=${asset.hash}` : ''}`;
}
