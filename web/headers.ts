/**
 * The response headers that make a page cross-origin isolated, so that SharedArrayBuffer (and
 * with it multi-threaded WebAssembly) is available: the dev server, the preview server and the
 * browser test send them. Without them the package still works, on one thread.
 */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};
