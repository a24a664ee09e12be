import type { KernelSpec } from '../../kernel/spec.js';
import { estimateSeconds, type ThroughputModel } from '../common/cost.js';
import type { Backend, CompiledKernel } from '../types.js';
import { generateJs } from './codegen.js';
import type { Factory } from './pool.js';
import { PoolSlot, pooledKernel } from './pooledKernel.js';
import { preludeLib } from './prelude.js';
import { jsThreads } from './threads.js';

/** Runs below this much work (pairs x cost / 8) stay on the calling thread. */
let inlineWork = 1e6;

const cache = new Map<string, { make: Factory; source: string }>();

/**
 * Compiles a spec to a JS row-kernel factory (cached by key). The source comes from the IR only;
 * it is a function of the prelude helpers (`$lib`), bound here to the main thread's instance.
 */
export function compileFactory(spec: KernelSpec): { make: Factory; source: string } {
  let hit = cache.get(spec.key);
  if (!hit) {
    const source = generateJs(spec);
    const make = new Function('$lib', source)(preludeLib()) as Factory;
    hit = { make, source };
    cache.set(spec.key, hit);
  }
  return hit;
}

const pools = new PoolSlot();

/** Stops the JS backend's worker threads (they restart on the next threaded run). */
export function shutdownJsWorkers(): void {
  pools.shutdown();
}

/** Statistics of the current worker pool (runs, chunks taken by workers), if one is running. */
export function jsPoolInfo(): { workers: number; runs: number; workerChunks: number } | undefined {
  return pools.info();
}

/** Testing knob: whether the calling thread takes rows too (default true). */
export function setJsCallerWorks(on: boolean): void {
  pools.callerWorks = on;
}

/**
 * Testing and tuning knob: runs with less work than `w` (pairs x per-pair cost / 8) stay on the
 * calling thread. Returns the previous value.
 */
export function setJsInlineThreshold(w: number): number {
  const prev = inlineWork;
  inlineWork = w;
  return prev;
}

/** First-call throughput (generated JavaScript: a few ns per operation under V8); measured on x86-64, rounded up. */
const JS_MODEL: ThroughputModel = { fixedSeconds: 0.1, nsPerOp: 3 };

/**
 * The JavaScript backend: always available; the reference every other backend is checked
 * against. Large runs are split over a pool of worker threads (see setJsThreads).
 */
export const jsBackend: Backend = {
  name: 'js',
  priority: 0,
  status: () => ({ available: true, device: `JavaScript (V8), ${jsThreads()} thread(s)` }),
  estimateSeconds: (spec, pairs) => estimateSeconds(JS_MODEL, spec, pairs, jsThreads()),
  compile(spec: KernelSpec): CompiledKernel {
    const { make, source } = compileFactory(spec);
    return pooledKernel({
      backend: 'js',
      spec,
      make,
      source,
      key: spec.key,
      threads: jsThreads,
      poolFor: (t) => pools.get(t),
      lane: 'js',
      callerShares: false,
      inlineWork: () => inlineWork,
    });
  },
};
