/** The page's side of the worker protocol (worker.ts): one promise per task, progress callbacks. */
import type { Task } from './worker.js';

type Reply = { id: number; result?: unknown; error?: string; progress?: unknown };

export class DemoClient {
  private readonly worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  private next = 0;
  private readonly pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; progress?: (p: unknown) => void }
  >();

  constructor() {
    this.worker.onmessage = (e: MessageEvent<Reply>) => {
      const p = this.pending.get(e.data.id);
      if (!p) return;
      if (e.data.progress !== undefined) return p.progress?.(e.data.progress);
      this.pending.delete(e.data.id);
      if (e.data.error !== undefined) p.reject(new Error(e.data.error));
      else p.resolve(e.data.result);
    };
    this.worker.onerror = (e) => {
      for (const p of this.pending.values()) p.reject(new Error(`worker failed: ${e.message}`));
      this.pending.clear();
    };
  }

  /** Runs a task in the worker; `progress` receives intermediate results. */
  run<T>(task: Task, progress?: (p: T) => void): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, {
        resolve: resolve as (v: unknown) => void,
        reject,
        progress: progress as ((p: unknown) => void) | undefined,
      });
      this.worker.postMessage({ id, task });
    });
  }
}
