/**
 * Min/ArgMin vs Sum of the same formula on the native backend (kmeans' assignment step):
 * Vi(x [N,3]).sqdist(Vj(c [K,3])) reduced with minArgmin, argmin, min and sum over j, best of 5.
 *   npx tsx bench/select.ts
 */
import { Vi, Vj } from '../src/index.js';
import { array } from '../src/ndarray.js';
import { mulberry32 } from '../src/random.js';

function points(n: number, d: number, dtype: 'float32' | 'float64', seed: number) {
  const r = mulberry32(seed);
  const a = dtype === 'float32' ? new Float32Array(n * d) : new Float64Array(n * d);
  for (let i = 0; i < a.length; i++) a[i] = r();
  return array(a, [n, d]);
}

function best(f: () => void, k = 5): number {
  let b = Number.POSITIVE_INFINITY;
  for (let i = 0; i < k; i++) {
    const t = performance.now();
    f();
    b = Math.min(b, performance.now() - t);
  }
  return b;
}

const opts = { backend: 'native' };
for (const [N, K, dtype] of [
  [1e6, 100, 'float32'],
  [1e5, 50, 'float64'],
] as const) {
  const x = points(N, 3, dtype, 1);
  const c = points(K, 3, dtype, 2);
  const F = () => Vi(x).sqdist(Vj(c));
  const runs = {
    minArgmin: () => F().minArgmin('j', opts),
    argmin: () => F().argmin('j', opts),
    min: () => F().min('j', opts),
    sum: () => F().sum('j', opts),
  };
  for (const f of Object.values(runs)) f(); // compile
  const ms = Object.entries(runs).map(([name, f]) => `${name} ${best(f).toFixed(1)} ms`);
  console.log(`N=${N}, K=${K}, ${dtype}: ${ms.join(', ')}`);
}
