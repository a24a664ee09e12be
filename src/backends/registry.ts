import { check, LazyTensorError } from '../errors.js';
import { cudaBackend } from './cuda/index.js';
import { jsBackend } from './js/index.js';
import { nativeBackend } from './native/index.js';
import { setFallbackPolicy } from './serving.js';
import type { Backend, BackendStatus } from './types.js';
import { wasmBackend } from './wasm/index.js';

/** Registered backends, in registration order (the order `backends()` lists them). */
const all: Backend[] = [jsBackend, nativeBackend, cudaBackend, wasmBackend];
let defaultName = 'auto';
/** Availability per backend, probed once (probing a compiler or a driver is not free). */
const statusCache = new Map<string, BackendStatus>();

function cachedStatus(b: Backend): BackendStatus {
  let st = statusCache.get(b.name);
  if (!st) {
    st = safeStatus(b);
    statusCache.set(b.name, st);
  }
  return st;
}

/** Every backend with its availability. */
export function backends(): ({ name: string } & BackendStatus)[] {
  return all.map((b) => {
    const st = safeStatus(b);
    statusCache.set(b.name, st);
    return { name: b.name, ...st };
  });
}

function safeStatus(b: Backend): BackendStatus {
  try {
    return b.status();
  } catch (e) {
    return { available: false, reason: (e as Error).message };
  }
}

/** Registered backends by decreasing priority (ties: registration order): the order `'auto'` tries. */
function byPriority(): Backend[] {
  return all
    .map((b, k) => ({ b, k }))
    .sort((x, y) => (y.b.priority ?? 0) - (x.b.priority ?? 0) || x.k - y.k)
    .map((x) => x.b);
}

/**
 * Registers a backend (an extra target, or a replacement of the one of the same name). `'auto'`
 * considers it by its `priority` like the built-in ones.
 */
export function registerBackend(b: Backend): void {
  const k = all.findIndex((x) => x.name === b.name);
  if (k >= 0) all[k] = b;
  else all.push(b);
  statusCache.delete(b.name);
}

/**
 * The serving policy of kernels still compiling (see serving.ts): calls of a `name` kernel are
 * served by the available backend of highest priority below `name`'s (JS at the least).
 */
function fallbackFor(name: string): Backend {
  const self = all.find((b) => b.name === name);
  const p = self?.priority ?? 0;
  for (const b of byPriority()) {
    if (b !== self && (b.priority ?? 0) < p && cachedStatus(b).available) return b;
  }
  return jsBackend;
}
setFallbackPolicy(fallbackFor);

/** Sets the backend used when a call does not name one ('auto' picks the available one of highest priority). */
export function setDefaultBackend(name: string): void {
  if (name !== 'auto') getBackend(name);
  defaultName = name;
}

/** The current default backend name. */
export function defaultBackendName(): string {
  return defaultName;
}

/** Resolves a backend name ('auto' or undefined: the default) to an available backend. */
export function getBackend(name?: string): Backend {
  const want = name ?? defaultName;
  if (want === 'auto') {
    for (const b of byPriority()) if (cachedStatus(b).available) return b;
    return jsBackend;
  }
  const b = all.find((x) => x.name === want);
  if (!b) {
    throw new LazyTensorError(
      `unknown backend '${want}': expected 'auto' or one of ${all.map((x) => `'${x.name}'`).join(', ')}`,
    );
  }
  const st = cachedStatus(b);
  if (!st.available)
    throw new LazyTensorError(`backend '${want}' is not available: ${st.reason ?? 'unknown reason'}`);
  return b;
}

/**
 * Resolves a backend for results kept in device memory: a named one must have device memory
 * (`empty`); 'auto' or undefined picks the available device backend of highest priority.
 */
export function getDeviceBackend(name?: string): Backend {
  if (name !== undefined && name !== 'auto') {
    const b = getBackend(name);
    check(
      b.empty !== undefined,
      () => `backend '${name}' has no device memory (output 'device' needs one, e.g. 'cuda')`,
    );
    return b;
  }
  const devices = byPriority().filter((b) => b.empty !== undefined);
  for (const b of devices) if (cachedStatus(b).available) return b;
  check(devices.length > 0, "output 'device' needs a backend with device memory; none is registered");
  // None available: the best one's reason.
  return getBackend(devices[0]!.name);
}
