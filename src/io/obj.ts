/** Wavefront .obj: the `v x y z` lines (extra values such as w or colours ignored); everything else is skipped. */
import { LazyTensorError } from '../errors.js';
import type { FloatArray, NDArray } from '../ndarray.js';
import { printable } from './printable.js';

/** Parses .obj text into the vertex positions [N, 3] (float64). */
export function parseObj(text: string, name = '.obj'): NDArray<Float64Array> {
  const values: number[] = [];
  const lines = text.split(/\r?\n/);
  for (let l = 0; l < lines.length; l++) {
    const w = lines[l]!.trim().split(/\s+/);
    if (w[0] !== 'v') continue;
    if (w.length < 4) throw new LazyTensorError(`${name}: line ${l + 1}: a vertex needs x, y and z`);
    for (let k = 1; k <= 3; k++) {
      const v = Number(w[k]);
      if (!Number.isFinite(v))
        throw new LazyTensorError(`${name}: line ${l + 1}: '${printable(w[k]!)}' is not a finite number`);
      values.push(v);
    }
  }
  if (values.length === 0) throw new LazyTensorError(`${name}: no vertex ('v x y z') lines`);
  return { data: Float64Array.from(values), shape: [values.length / 3, 3] };
}

/** Formats points [N, 3] as .obj vertex lines. */
export function formatObj(array: NDArray<FloatArray>): string {
  const [n] = array.shape as [number, number];
  const out = ['# written by lazytensor'];
  for (let i = 0; i < n; i++)
    out.push(`v ${array.data[3 * i]} ${array.data[3 * i + 1]} ${array.data[3 * i + 2]}`);
  return `${out.join('\n')}\n`;
}
