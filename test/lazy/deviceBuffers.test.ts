/**
 * Device buffers are a backend-neutral notion (DeviceBuffer in src/backends/types.ts): the user
 * layer runs a reduction on the backend whose memory holds its device inputs, and `evalDevice`
 * picks the device backend of highest priority, whatever its name. Checked with a fake device
 * backend ('test-gpu', host memory behind the interface), never chosen by 'auto' for host data.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { jsBackend } from '../../src/backends/js/index.js';
import { backends, getBackend, getDeviceBackend, registerBackend } from '../../src/backends/registry.js';
import type { Backend, BufferDType, DeviceBuffer, DeviceRunArgs } from '../../src/backends/types.js';
import { LazyTensorError, Vi, Vj } from '../../src/index.js';
import type { FloatArray } from '../../src/ndarray.js';

class FakeBuffer implements DeviceBuffer {
  readonly backend = 'test-gpu';
  freed = false;
  readonly length: number;
  constructor(
    readonly dtype: BufferDType,
    readonly shape: readonly number[],
    readonly data: FloatArray | Int32Array,
  ) {
    this.length = data.length;
  }
  toHost() {
    return { data: this.data.slice(), shape: [...this.shape] };
  }
  free() {
    this.freed = true;
  }
}

const make = (dtype: BufferDType, shape: readonly number[]) => {
  const n = shape.reduce((a, b) => a * b, 1);
  const data =
    dtype === 'float32' ? new Float32Array(n) : dtype === 'float64' ? new Float64Array(n) : new Int32Array(n);
  return new FakeBuffer(dtype, shape, data);
};
const hostOf = (a: FloatArray | DeviceBuffer) =>
  a instanceof FakeBuffer ? (a.data as FloatArray) : (a as FloatArray);

const counter = { run: 0, runDevice: 0 };
const gpu: Backend = {
  name: 'test-gpu',
  priority: -100,
  status: () => ({ available: true, device: 'fake' }),
  empty: make,
  compile(spec) {
    const k = jsBackend.compile(spec);
    return {
      backend: 'test-gpu',
      run(args) {
        counter.run++;
        k.run({ ...args, inputs: args.inputs.map(hostOf) });
      },
      runDevice(args: DeviceRunArgs) {
        counter.runDevice++;
        const out = args.out as FakeBuffer | undefined;
        const outIdx = args.outIdx as FakeBuffer | undefined;
        k.run({
          inputs: args.inputs.map(hostOf),
          nI: args.nI,
          nJ: args.nJ,
          ranges: args.ranges,
          out: out?.data as FloatArray | undefined,
          outIdx: outIdx?.data as Int32Array | undefined,
        });
        return { out, outIdx };
      },
    };
  },
};
registerBackend(gpu);
afterAll(() => registerBackend({ ...gpu, status: () => ({ available: false, reason: 'test over' }) }));

describe('device buffers of any backend', () => {
  const X = Float64Array.of(0, 1, 2);
  const Y = Float64Array.of(1, 3);
  const want = [1 + 9, 0 + 4, 1 + 1];

  it("'auto' still runs host data on the host backends", () => {
    expect(getBackend('auto').name).not.toBe('test-gpu');
  });

  it('a reduction with device inputs runs on the backend that holds them', () => {
    const x = new FakeBuffer('float64', [3, 1], X.slice());
    const s = Vi(x)
      .sqdist(Vj({ data: Y, shape: [2, 1] }))
      .sum('j');
    expect(Array.from(s.data)).toEqual(want);
    expect(counter.run).toBe(1);
    expect(() =>
      Vi(x)
        .sqdist(Vj({ data: Y, shape: [2, 1] }))
        .sum('j', { backend: 'js' }),
    ).toThrow(/device arrays need the 'test-gpu' backend/);
  });

  it('evalDevice keeps the result in the memory of the device backend of highest priority', () => {
    const y = new FakeBuffer('float64', [2, 1], Y.slice());
    // 'auto': the available device backend of highest priority (cuda where a GPU is, else this one).
    const best = backends().some((b) => b.name === 'cuda' && b.available) ? 'cuda' : 'test-gpu';
    expect(getDeviceBackend().name).toBe(best);
    const r = Vi({ data: X, shape: [3, 1] })
      .sqdist(Vj(y))
      .reduction('Sum', 'j')
      .evalDevice({ backend: best === 'cuda' ? 'test-gpu' : 'auto' });
    expect(r).toBeInstanceOf(FakeBuffer);
    expect(r.backend).toBe('test-gpu');
    expect(r.shape).toEqual([3, 1]);
    expect(Array.from(r.toHost().data)).toEqual(want);
    expect(counter.runDevice).toBe(1);
    expect(() =>
      Vi({ data: X, shape: [3, 1] })
        .sqdist(Vj({ data: Y, shape: [2, 1] }))
        .reduction('Sum', 'j')
        .evalDevice({ backend: 'js' }),
    ).toThrow(LazyTensorError);
  });
});
