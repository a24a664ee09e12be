/**
 * The demo page (`npm run web`, `npm run web:build`). `lazytensor` and its subpaths resolve to this
 * checkout's sources, and package.json's "browser" map (dist/X.js -> dist/Y.js, the Node-only
 * backends swapped for browser stubs) is applied to the matching sources, so the page bundles
 * exactly what an app bundling the published package gets. The headers make the page
 * cross-origin isolated (SharedArrayBuffer available).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { ISOLATION_HEADERS } from './headers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function sourceOf(distPath: string): string {
  return path.resolve(root, distPath.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'));
}

/** Applies package.json's "browser" file map to the sources. */
function browserMap(): Plugin {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    browser?: Record<string, string>;
  };
  const map = new Map(Object.entries(pkg.browser ?? {}).map(([from, to]) => [sourceOf(from), sourceOf(to)]));
  return {
    name: 'lazytensor-browser-map',
    enforce: 'pre',
    async resolveId(source, importer, options) {
      if (!importer?.startsWith(path.join(root, 'src'))) return null;
      const r = await this.resolve(source, importer, { ...options, skipSelf: true });
      return r && map.has(r.id) ? map.get(r.id)! : r;
    },
  };
}

export default defineConfig({
  root: path.join(root, 'web'),
  plugins: [browserMap()],
  resolve: {
    alias: [
      { find: /^lazytensor$/, replacement: path.join(root, 'src/index.ts') },
      { find: /^lazytensor\/(ot|learn|register)$/, replacement: path.join(root, 'src/$1/index.ts') },
    ],
  },
  worker: { format: 'es', plugins: () => [browserMap()] },
  server: { headers: { ...ISOLATION_HEADERS }, fs: { allow: [root] } },
  preview: { headers: { ...ISOLATION_HEADERS } },
  build: { outDir: path.join(root, 'web/dist'), emptyOutDir: true, target: 'es2022' },
});
