/**
 * imagesLoss benchmark: two 512 × 512 Gaussian blobs, blur 1/512 (one pixel), scaling 0.5.
 * Target (2 cores): ≤ 3 s. Run: npx tsx bench/ot-images.ts [n] [compute]
 */
import { imagesLoss } from '../src/ot/index.js';

function blob(n: number, cy: number, cx: number, s: number): Float64Array {
  const v = new Float64Array(n * n);
  let tot = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const e = Math.exp(-((i / n - cy) ** 2 + (j / n - cx) ** 2) / (2 * s * s));
      v[i * n + j] = e;
      tot += e;
    }
  return v.map((x) => x / tot);
}

const n = Number(process.argv[2] ?? 512);
const compute = process.argv[3]; // engine backend, e.g. 'native' (default 'auto')
const A = { data: blob(n, 0.3, 0.35, 0.08), shape: [n, n] };
const B = { data: blob(n, 0.65, 0.6, 0.1), shape: [n, n] };
imagesLoss(A, B, { blur: 1 / n, scaling: 0.5, compute }); // warm-up (kernel compilation)
const t0 = performance.now();
const r = imagesLoss(A, B, { blur: 1 / n, scaling: 0.5, compute });
const s = (performance.now() - t0) / 1000;
console.log(
  `imagesLoss ${n}×${n} blur 1/${n} scaling 0.5: ${s.toFixed(2)} s (value ${(r.value as number).toExponential(4)}, ${r.iterations} ε steps)`,
);
