import { createHash } from 'node:crypto';
import type { KernelSpec } from '../../kernel/spec.js';
import { GEMM_PRELUDE } from './gemm.js';
import { generateKernel } from './kernel.js';
import { PRELUDE } from './prelude.js';

/**
 * C++ code generation from a KernelSpec (never from user text: identifiers come from the codegen,
 * numbers from the dialect's exact printer): the translation unit of a library and its key. The
 * parts: kernel.ts (one kernel function), soa.ts (the j-side's tile-blocked buffer), blocking.ts
 * (tile width and rows per chunk), rowStates.ts and tileWalk.ts (a work item's row states and
 * j-loops).
 */

export { blocking } from './blocking.js';
export { generateKernel } from './kernel.js';

/** Name of the function every library exports that returns its unit key. */
export const UNIT_KEY_SYMBOL = 'lt_unit_key';

/**
 * The key of a translation unit: sha256 (hex) of its specs' canonical keys, in order. Compiled
 * into the library and compared after loading, so that a library copied under another unit's
 * file name is refused.
 */
export function unitKey(specs: readonly KernelSpec[]): string {
  return createHash('sha256')
    .update(JSON.stringify(['lazytensor-unit-1', ...specs.map((s) => s.key)]))
    .digest('hex');
}

/**
 * A translation unit: the prelude, kernels `lt_k0 .. lt_k<n-1>` (one per spec) and
 * `lt_unit_key()`, which returns the unit key (64 hex digits: no user text reaches the source).
 */
export function generateUnit(specs: readonly KernelSpec[]): {
  source: string;
  symbols: string[];
  key: string;
} {
  const symbols = specs.map((_, k) => `lt_k${k}`);
  const parts = specs.map(
    (s, k) => `// kernel ${k}: ${commentSafe(s.key)}\n${generateKernel(s, symbols[k]!)}`,
  );
  const key = unitKey(specs);
  const keyFn = `LT_EXPORT const char* ${UNIT_KEY_SYMBOL}(void) { return "${key}"; }`;
  return { source: `${PRELUDE}\n${GEMM_PRELUDE}\n${parts.join('\n\n')}\n\n${keyFn}\n`, symbols, key };
}

/** A spec key reduced to characters that cannot end or extend a `//` comment. */
function commentSafe(key: string): string {
  return key.replace(/[^A-Za-z0-9_=;,.()|<>:+ -]/g, '?');
}
