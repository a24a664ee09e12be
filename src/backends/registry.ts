import { LazyTensorError } from '../errors.js';
import { cudaBackend } from './cuda/index.js';
import { jsBackend } from './js/index.js';
import { nativeBackend } from './native/index.js';
import type { Backend, BackendStatus } from './types.js';
import { wasmBackend } from './wasm/index.js';

const all: Backend[] = [jsBackend, nativeBackend, cudaBackend, wasmBackend];
/** Preference order of `auto`: fastest first. */
const AUTO_ORDER = ['cuda', 'native', 'wasm', 'js'];
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

/** Registers an extra backend (e.g. an experimental target). */
export function registerBackend(b: Backend): void {
  const k = all.findIndex((x) => x.name === b.name);
  if (k >= 0) all[k] = b;
  else all.push(b);
  statusCache.delete(b.name);
}

/** Sets the backend used when a call does not name one ('auto' picks the fastest available). */
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
    for (const n of AUTO_ORDER) {
      const b = all.find((x) => x.name === n);
      if (b && cachedStatus(b).available) return b;
    }
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
