/**
 * The demo's Web Worker: every computation runs here, so the page stays responsive while a
 * reduction blocks this thread. Messages: { id, task }; replies { id, result } or { id, error },
 * and { id, progress } for intermediate steps.
 */
import bunny from 'bunny';
import { startWasmWorkers } from 'lazytensor';
import { loadRegister, registerTask } from './register.js';
import { makeScene } from './scene.js';
import {
  backendName,
  checkTask,
  kernelBench,
  kmeansFunction,
  kmeansTask,
  knnTask,
  otTask,
  wasmInfo,
} from './tasks.js';

export type Task = 'init' | 'knn' | 'kmeans' | 'ot' | 'register' | 'check' | 'bench' | 'wasm';

interface WorkerScope {
  onmessage: ((e: MessageEvent<{ id: number; task: Task }>) => void) | null;
  postMessage(message: unknown): void;
  crossOriginIsolated?: boolean;
}

const scope = self as unknown as WorkerScope;
const scene = makeScene(bunny.positions);

async function run(id: number, task: Task): Promise<unknown> {
  switch (task) {
    case 'init':
      // Web Workers start only while this thread is idle: start the wasm backend's now.
      await startWasmWorkers();
      return {
        backend: backendName(),
        wasm: wasmInfo(),
        crossOriginIsolated: scope.crossOriginIsolated === true,
        scene,
        features: { kmeans: kmeansFunction() !== undefined, register: (await loadRegister()) !== undefined },
      };
    case 'knn':
      return knnTask(scene);
    case 'kmeans':
      return kmeansTask(scene);
    case 'ot':
      return otTask(scene);
    case 'register':
      return registerTask(scene, (progress) => scope.postMessage({ id, progress }));
    case 'check':
      return checkTask(scene);
    case 'bench':
      return kernelBench();
    case 'wasm':
      return wasmInfo();
  }
}

scope.onmessage = (e) => {
  const { id, task } = e.data;
  run(id, task).then(
    (result) => scope.postMessage({ id, result }),
    (err: unknown) =>
      scope.postMessage({ id, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }),
  );
};
