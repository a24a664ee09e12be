/** `lazytensor info [files...]`: backends, compilers, cache; and the shape and extent of point files. */
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { resolveNativeOptions } from '../../backends/native/index.js';
import { backends } from '../../backends/registry.js';
import type { FloatArray, NDArray } from '../../ndarray.js';
import { addCommon, Context } from '../context.js';
import { version } from '../version.js';

function describe(file: string, a: NDArray<FloatArray>) {
  const [n, d] = a.shape as [number, number];
  const min = new Array<number>(d).fill(Infinity);
  const max = new Array<number>(d).fill(-Infinity);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < d; k++) {
      const v = a.data[i * d + k]!;
      if (v < min[k]!) min[k] = v;
      if (v > max[k]!) max[k] = v;
    }
  }
  return { file, points: n, dim: d, dtype: a.data instanceof Float32Array ? 'float32' : 'float64', min, max };
}

export function registerInfo(program: Command): void {
  const cmd = program
    .command('info')
    .description(
      'backends, devices and compilers; with files: their number of points, dimension, dtype and bounding box',
    )
    .argument('[files...]', 'point files to describe');
  addCommon(cmd).action((files: string[], opts) => {
    const ctx = new Context(opts);
    const list = backends();
    const cache = path.join(resolveNativeOptions().cacheRoot, 'native');
    const described = files.map((f) => describe(f, ctx.read(f)));
    const lines = [
      `lazytensor ${version()} on Node.js ${process.version}, ${os.availableParallelism?.() ?? os.cpus().length} CPUs`,
      'backends:',
      ...list.map(
        (b) =>
          `  ${b.name.padEnd(7)} ${b.available ? 'available' : 'unavailable'}${b.device ? ` (${b.device})` : ''}${b.reason ? `: ${b.reason}` : ''}`,
      ),
      `native kernel cache: ${cache}`,
      ...described.map(
        (d) =>
          `${d.file}: ${d.points} points, D = ${d.dim}, ${d.dtype}, min [${d.min.join(', ')}], max [${d.max.join(', ')}]`,
      ),
    ];
    ctx.report({ version: version(), node: process.version, backends: list, cache, files: described }, lines);
  });
}
