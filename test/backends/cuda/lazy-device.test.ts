import { afterAll, describe, expect, it } from 'vitest';
import { cudaBackend } from '../../../src/backends/cuda/index.js';
import { DeviceArray, LazyTensorError, registerBackend, Vi, Vj } from '../../../src/index.js';
import { samplesLoss } from '../../../src/ot/index.js';
import { expectClose } from '../../helpers/check.js';
import { rng, uniform } from '../../helpers/rng.js';
import { emulationUnavailable } from './helpers/emu.js';
import { emulatedBackend } from './helpers/run.js';

/**
 * Device arrays through the user layer (Vi/Vj/Pm of device arrays, results kept on the device),
 * on the CPU emulation of the driver registered as the 'cuda' backend.
 */
const skip = emulationUnavailable();
const title = `LazyTensor with device arrays on the fake driver${skip ? ` (SKIPPED: ${skip})` : ''}`;
if (skip) console.warn(`[lazytensor] ${title}`);

describe.skipIf(skip !== undefined)(title, () => {
  const env = skip ? undefined : emulatedBackend({ scheme: '1d' });
  if (env) registerBackend(env.backend);
  afterAll(() => registerBackend(cudaBackend));

  const r = rng(5);
  const N = 40;
  const M = 30;
  const X = uniform(r, N * 3);
  const Y = uniform(r, M * 3);
  const B = uniform(r, M);
  const host = (backend: string) =>
    Vi({ data: X, shape: [N, 3] })
      .sqdist(Vj({ data: Y, shape: [M, 3] }))
      .neg()
      .exp()
      .mul(Vj({ data: B, shape: [M, 1] }))
      .sum('j', { backend });

  it('device inputs give the host result; evalDevice keeps K b on the device for the next step', () => {
    const be = env!.backend;
    const x = Vi(be.toDevice({ data: X, shape: [N, 3] }));
    const y = Vj(be.toDevice({ data: Y, shape: [M, 3] }));
    const K = x.sqdist(y).neg().exp();
    const want = host('js');
    // Host result from device inputs (and a host weight).
    const got = K.mul(Vj({ data: B, shape: [M, 1] })).sum('j');
    expectClose(got.data, want.data, 1e-12, 0, 'K b');
    // Result on the device, then fed into Kᵀ (K b) without a host round trip.
    const kb = K.mul(Vj(be.toDevice({ data: B, shape: [M, 1] })))
      .reduction('Sum', 'j')
      .evalDevice();
    expect(kb).toBeInstanceOf(DeviceArray);
    expect(kb.shape).toEqual([N, 1]);
    expectClose(kb.toHost().data as Float64Array, want.data, 1e-12, 0, 'device K b');
    const ktkb = K.t().mul(Vj(kb)).sum('j');
    const ref = Vi({ data: X, shape: [N, 3] })
      .sqdist(Vj({ data: Y, shape: [M, 3] }))
      .neg()
      .exp()
      .t()
      .matvec(want, { backend: 'js' });
    expectClose(ktkb.data, ref.data, 1e-12, 0, 'Kᵀ K b');
    kb.free();
  });

  it('device arrays with another backend, with batches, or in dense() are clear errors', () => {
    const be = env!.backend;
    const x = Vi(be.toDevice({ data: X, shape: [N, 3] }));
    const y = Vj({ data: Y, shape: [M, 3] });
    expect(() => x.sqdist(y).sum('j', { backend: 'js' })).toThrow(/device arrays need the 'cuda' backend/);
    const xb = Vi(be.toDevice({ data: X, shape: [2, N / 2, 3] }));
    expect(() => xb.sqdist(y).sum('j')).toThrow(LazyTensorError);
    expect(() => x.sqdist(y).dense()).toThrow(/needs host arrays/);
  });

  it('samplesLoss on cuda (fused block-diagonal softmins and gradients) equals the js backend', () => {
    const n = 12;
    const m = 9;
    const rr = rng(11);
    const x = { data: uniform(rr, n * 2), shape: [n, 2] };
    const y = { data: uniform(rr, m * 2, 0.2, 1.2), shape: [m, 2] };
    for (const o of [{ blur: 0.1 }, { blur: 0.2, reach: 0.5, p: 1 }]) {
      const opts = { ...o, backend: 'online' as const };
      const g = samplesLoss(x, y, { ...opts, compute: 'cuda' });
      const j = samplesLoss(x, y, { ...opts, compute: 'js' });
      expect(Math.abs((g.value as number) - (j.value as number))).toBeLessThan(1e-12);
      expectClose(g.gradX.data, j.gradX.data, 1e-9, 1e-12, 'gradX');
      expectClose(g.gradY.data, j.gradY.data, 1e-9, 1e-12, 'gradY');
      expectClose(g.potentials.f.data, j.potentials.f.data, 1e-9, 1e-12, 'f');
    }
  });
});
