import type { KernelSpec } from '../kernel/spec.js';
import { rangedPairs } from './common/ranges.js';
import { jsBackend } from './js/index.js';
import type { Backend, CompiledKernel, RunArgs } from './types.js';

/** Where a kernel that compiles in the background stands. */
export type KernelState = 'pending' | 'ready' | 'failed';

/**
 * How the last call of a deferred kernel was served: 'ready' (its own code, already built),
 * 'waited' (it waited for the build, then ran its own code), 'fallback' (on the fallback backend).
 */
export type ServeDecision = 'ready' | 'waited' | 'fallback';

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
 * Whether a call on a kernel still compiling should wait for the build rather than run on the
 * fallback backend: `force` (the backend's sync option) decides when set; otherwise waiting wins
 * when the fallback's estimated time exceeds the expected remaining build time. Both in seconds.
 */
export function shouldWait(
  force: boolean | undefined,
  fallbackSeconds: number,
  readySeconds: number,
): boolean {
  return force ?? fallbackSeconds > readySeconds;
}

/**
 * A kernel whose code is built in the background (native today, WASM next). The serving policy
 * lives here, not in the backends. Once `state` is 'ready', every call runs the backend's own code
 * (a call costs one `state` read). While it is 'pending', each call is either served by the kernel
 * of the fallback backend (compiled on first need) or waits for the build, whichever is expected
 * to end first: the fallback's `estimateSeconds` for this call against `expectedReadySeconds()`
 * (a wait is bounded by the fallback's estimate, then the fallback serves). The backend's sync
 * option (`waitPolicy()`) forces either way. Backends implement the abstract members only.
 */
export abstract class DeferredKernel implements CompiledKernel {
  abstract readonly backend: string;
  /** Which backend served the last call (this one, or the fallback's name). */
  lastEngine: string | undefined;
  /** How the last call was served. */
  lastDecision: ServeDecision | undefined;
  private fallbackKernel: CompiledKernel | undefined;

  constructor(readonly spec: KernelSpec) {}

  /** 'ready' once the backend's code serves calls; 'pending' while compiling; 'failed' for good. */
  abstract get state(): KernelState;
  /** Blocks until the build is done or failed (or `timeoutMs` passed: then 'pending'). */
  abstract waitReady(timeoutMs?: number): KernelState;
  /** Seconds until the build is expected to finish (0 when it should be done already). */
  abstract expectedReadySeconds(): number;
  /** The backend's sync option: true always waits for the build, false never does, undefined decides per call. */
  protected abstract waitPolicy(): boolean | undefined;
  /** Runs the backend's own code (state is 'ready'); false, having done nothing, when it cannot. */
  protected abstract runReady(args: RunArgs): boolean;
  /** Same, off the event loop. */
  protected abstract runReadyAsync(args: RunArgs): Promise<boolean>;
  /** Counts a call served by the fallback (backend statistics). */
  protected abstract countFallback(): void;
  /** Counts a call that waited for the build (backend statistics). */
  protected abstract countWaited(): void;

  run(args: RunArgs): void {
    if (this.state === 'ready' && this.runReady(args)) this.served('ready');
    else if (this.waitedFor(args) && this.runReady(args)) this.served('waited');
    else this.serveFallback(args);
  }

  async runAsync(args: RunArgs): Promise<void> {
    if (this.state === 'ready' && (await this.runReadyAsync(args))) this.served('ready');
    else if ((await this.waitedForAsync(args)) && (await this.runReadyAsync(args))) this.served('waited');
    else {
      const k = this.fallback();
      if (k.runAsync) await k.runAsync(args);
      else k.run(args);
    }
  }

  /** Whether the policy chose to wait for a pending build and it became ready meanwhile (blocking). */
  private waitedFor(args: RunArgs): boolean {
    const bound = this.waitBoundMs(args);
    return bound !== undefined && this.waitReady(bound) === 'ready';
  }

  /** Same, without blocking the event loop (polls the state every 10 ms, within the bound). */
  private async waitedForAsync(args: RunArgs): Promise<boolean> {
    const bound = this.waitBoundMs(args);
    if (bound === undefined) return false;
    const end = performance.now() + bound;
    while (this.state === 'pending' && performance.now() < end) await new Promise((r) => setTimeout(r, 10));
    return this.state === 'ready';
  }

  /** The fallback backend's estimated time for these arguments, in seconds. */
  fallbackSeconds(args: RunArgs): number {
    const b = fallbackOf(this.backend);
    const pairs = rangedPairs(args.nI, args.nJ, args.ranges);
    return (b.estimateSeconds ?? jsBackend.estimateSeconds!)(this.spec, pairs);
  }

  /**
   * How long this call should wait for a pending build, in ms (unbounded when forced, else the
   * fallback's estimate: waiting longer would cost more than serving on it), or undefined when
   * it should not wait (not pending, or the fallback is expected to finish first).
   */
  private waitBoundMs(args: RunArgs): number | undefined {
    if (this.state !== 'pending') return undefined;
    const force = this.waitPolicy();
    if (force !== undefined) return force ? Number.POSITIVE_INFINITY : undefined;
    const fallback = this.fallbackSeconds(args);
    return shouldWait(undefined, fallback, this.expectedReadySeconds()) ? fallback * 1000 : undefined;
  }

  private served(how: 'ready' | 'waited'): void {
    this.lastEngine = this.backend;
    this.lastDecision = how;
    if (how === 'waited') this.countWaited();
  }

  /** Runs a call on the fallback backend's kernel of the same spec. */
  private serveFallback(args: RunArgs): void {
    this.fallback().run(args);
  }

  /** The fallback backend's kernel of the same spec, for a call it serves (counted). */
  private fallback(): CompiledKernel {
    this.countFallback();
    this.fallbackKernel ??= fallbackOf(this.backend).compile(this.spec);
    this.lastEngine = this.fallbackKernel.backend;
    this.lastDecision = 'fallback';
    return this.fallbackKernel;
  }
}
