/**
 * Registration, animated step by step, when this checkout has `lazytensor/register`. Found at
 * build time with import.meta.glob (an empty object when the module is absent), so the demo
 * builds with or without it and the page disables the button with a note.
 */
import type { NDArray } from 'lazytensor';
import { array } from 'lazytensor';
import type { Scene } from './scene.js';
import type { TaskResult } from './tasks.js';

interface RegisterModule {
  register(
    source: NDArray,
    target: NDArray,
    options: { iterations?: number; searchInit?: boolean; model?: string },
  ): { aligned: NDArray; loss: number };
}

const found = import.meta.glob<RegisterModule>('../src/register/index.ts');

/** Loads the registration module, or undefined when this checkout has none. */
export async function loadRegister(): Promise<RegisterModule | undefined> {
  const load = Object.values(found)[0];
  return load ? await load() : undefined;
}

/**
 * Rigid registration of y onto x, one match-fit step per call of `register` (the first one
 * searches the initial rotation), reporting the moved copy after each step.
 */
export async function registerTask(
  s: Scene,
  onStep: (r: TaskResult) => void,
  steps = 12,
): Promise<TaskResult> {
  const mod = await loadRegister();
  if (!mod) return { lines: ['registration: not in this checkout (src/register lands later)'] };
  const target = array(s.x, [s.n, 3]);
  let y = s.y;
  let last: TaskResult = { lines: [] };
  const t0 = performance.now();
  for (let k = 0; k < steps; k++) {
    const r = mod.register(array(y, [s.m, 3]), target, {
      model: 'rigid',
      iterations: 1,
      searchInit: k === 0,
    });
    y = Float64Array.from(r.aligned.data);
    last = {
      lines: [
        `registration step ${k + 1}/${steps}: loss ${r.loss.toExponential(3)}, ${(performance.now() - t0).toFixed(0)} ms`,
      ],
      y,
    };
    onStep(last);
  }
  return last;
}
