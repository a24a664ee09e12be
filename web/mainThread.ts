/**
 * For the browser test: an async reduction awaited on the page's MAIN thread (which may not block
 * in Atomics.wait), computed by the wasm backend's Web Workers on 2 threads. lazytensor is
 * imported here on demand, so the page itself loads none of it.
 */
import type { Scene } from './scene.js';

export interface MainThreadCheck {
  gaussSum: number[];
  /** Timer callbacks that ran while the reduction was awaited (the page stayed responsive). */
  ticks: number;
  /** Chunks of rows the workers ran for it (the main thread runs none of an async job). */
  workerChunks: number;
  workers: number;
  device: string;
}

export async function mainThreadCheck(s: Scene): Promise<MainThreadCheck> {
  const lt = await import('lazytensor');
  lt.setWasmThreads(2);
  const pool = await lt.startWasmWorkers();
  const F = lt
    .Vi(lt.array(s.x, [s.n, 3]))
    .sqdist(lt.Vj(lt.array(s.y, [s.m, 3])))
    .mul(-1 / 0.1 ** 2)
    .exp();
  let ticks = 0;
  let settled = false;
  const tick = (): void => {
    ticks++;
    if (!settled) setTimeout(tick, 0);
  };
  setTimeout(tick, 0);
  const before = lt.wasmPoolInfo()?.workerChunks ?? 0;
  const r = await F.reduceAsync('sum', 'j', { backend: 'wasm' });
  settled = true;
  return {
    gaussSum: Array.from(r.data),
    ticks,
    workerChunks: (lt.wasmPoolInfo()?.workerChunks ?? 0) - before,
    workers: pool?.workers ?? 0,
    device: lt.backends().find((b) => b.name === 'wasm')?.device ?? '',
  };
}
