/** The demo page: buttons, the drawing and the numbers; every computation runs in the worker. */
import { DemoClient } from './client.js';
import type { Scene } from './scene.js';
import type { TaskResult } from './tasks.js';
import { type Drawing, draw } from './view.js';
import type { Task } from './worker.js';

interface Init {
  backend: string;
  crossOriginIsolated: boolean;
  wasm: { device: string };
  scene: Scene;
  features: { kmeans: boolean; register: boolean };
}

const client = new DemoClient();
const canvas = document.querySelector<HTMLCanvasElement>('#view')!;
const output = document.querySelector<HTMLPreElement>('#output')!;
const status = document.querySelector<HTMLElement>('#status')!;

function show(lines: string[]): void {
  output.textContent = lines.join('\n');
}

const ready: Promise<Init> = client.run<Init>('init').then((init) => {
  const { scene } = init;
  let drawing: Drawing = { x: scene.x, y: scene.y };
  draw(canvas, drawing);
  status.textContent =
    `backend '${init.backend}' in a Web Worker; ${scene.n} + ${scene.m} points; ` +
    (init.crossOriginIsolated ? 'cross-origin isolated' : 'not cross-origin isolated') +
    `; wasm: ${init.wasm.device}`;
  const buttons = document.querySelectorAll<HTMLButtonElement>('button[data-task]');
  const setBusy = (busy: boolean) => {
    for (const b of buttons) b.disabled = busy || b.dataset.unavailable === 'true';
  };
  for (const b of buttons) {
    const task = b.dataset.task as Task;
    if ((task === 'kmeans' && !init.features.kmeans) || (task === 'register' && !init.features.register)) {
      b.dataset.unavailable = 'true';
      b.disabled = true;
      b.title = 'not in this version of lazytensor';
      continue;
    }
    b.onclick = async () => {
      setBusy(true);
      show([`${task}…`]);
      const render = (r: TaskResult) => {
        drawing = { x: scene.x, y: r.y ?? scene.y, labels: r.labels, pairs: r.pairs };
        draw(canvas, drawing);
        show(r.lines);
      };
      try {
        if (task === 'bench') {
          const r = await client.run<{
            backend: string;
            rows: number;
            cols: number;
            runs: { threads: number; ms: number[]; gpairsPerS: number }[];
          }>('bench');
          show([
            `Gaussian kernel sum, 3-D f32, ${r.rows} rows x ${r.cols} columns on '${r.backend}':`,
            ...r.runs.map(
              (t) =>
                `${t.threads} thread(s): ${t.ms.map((v) => v.toFixed(0)).join(', ')} ms; ` +
                `${t.gpairsPerS.toFixed(3)} Gpairs/s (best)`,
            ),
          ]);
        } else {
          render(await client.run<TaskResult>(task, render));
        }
      } catch (e) {
        show([String(e)]);
      } finally {
        setBusy(false);
      }
    };
  }
  setBusy(false);
  return init;
});

/**
 * For the browser test and the console: run a task in the worker, once the page is ready; or an
 * async reduction on this (main) thread, computed by Web Workers.
 */
(globalThis as unknown as { lazytensorDemo: unknown }).lazytensorDemo = {
  ready,
  run: (task: Task) => ready.then(() => client.run(task)),
  mainThread: () => ready.then(async (init) => (await import('./mainThread.js')).mainThreadCheck(init.scene)),
};
