import type { KernelSpec } from '../kernel/spec.js';
import { jsBackend } from './js/index.js';
import type { Backend, CompiledKernel, RunArgs } from './types.js';

/** Where a kernel that compiles in the background stands. */
export type KernelState = 'pending' | 'ready' | 'failed';

/**
 * Which backend serves the calls of a `name` kernel while it compiles (or after its build
 * failed). The registry installs its policy (the next available backend by priority) when it
 * loads; before that, and as the last resort, the JS backend serves.
 */
let fallbackOf: (name: string) => Backend = () => jsBackend;

/** Installs the policy that picks the serving backend (called by the registry). */
export function setFallbackPolicy(policy: (name: string) => Backend): void {
  fallbackOf = policy;
}

/**
 * A kernel whose code is built in the background (native today, WASM next). The serving policy
 * lives here, not in the backends: while `state` is not 'ready', each call runs on the kernel of
 * the fallback backend (compiled on first need); once ready, every call runs the backend's own
 * code. A call costs one `state` read. Backends implement the abstract members only.
 */
export abstract class DeferredKernel implements CompiledKernel {
  abstract readonly backend: string;
  /** Which backend served the last call (this one, or the fallback's name). */
  lastEngine: string | undefined;
  private fallbackKernel: CompiledKernel | undefined;

  constructor(readonly spec: KernelSpec) {}

  /** 'ready' once the backend's code serves calls; 'pending' while compiling; 'failed' for good. */
  abstract get state(): KernelState;
  /** Blocks until the build is done (or failed). */
  abstract waitReady(): 'ready' | 'failed';
  /** Runs the backend's own code (state is 'ready'); false, having done nothing, when it cannot. */
  protected abstract runReady(args: RunArgs): boolean;
  /** Same, off the event loop. */
  protected abstract runReadyAsync(args: RunArgs): Promise<boolean>;
  /** Counts a call served by the fallback (backend statistics). */
  protected abstract countFallback(): void;

  run(args: RunArgs): void {
    if (this.state === 'ready' && this.runReady(args)) this.lastEngine = this.backend;
    else this.serveFallback(args);
  }

  async runAsync(args: RunArgs): Promise<void> {
    if (this.state === 'ready' && (await this.runReadyAsync(args))) this.lastEngine = this.backend;
    else this.serveFallback(args);
  }

  /** Runs a call on the fallback backend's kernel of the same spec. */
  private serveFallback(args: RunArgs): void {
    this.countFallback();
    this.fallbackKernel ??= fallbackOf(this.backend).compile(this.spec);
    this.lastEngine = this.fallbackKernel.backend;
    this.fallbackKernel.run(args);
  }
}
