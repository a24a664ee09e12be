import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { internedCount, type Node } from '../../src/formula/node.js';
import { Var } from '../../src/formula/ops/leaves.js';
import { op } from '../../src/formula/ops.js';
import { Pm, Vi, Vj } from '../../src/index.js';

/**
 * Hash-consing must not leak: solver loops build fresh variables (and so fresh nodes) every
 * step, and the table may keep none of them once nothing refers to them.
 */
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Lets the current job end (WeakRef targets are kept until then), collects, runs finalizers. */
async function collect(): Promise<void> {
  for (let k = 0; k < 4; k++) {
    await new Promise((r) => setTimeout(r, 0));
    gc();
  }
  await new Promise((r) => setTimeout(r, 0));
}

describe('hash-consing table', () => {
  it('shares live nodes and lets unused ones go', async () => {
    const v = Var(424242, 3, 'i');
    expect(op('Exp', [v])).toBe(op('Exp', [v]));
    await collect();
    const before = internedCount();
    const refs: WeakRef<Node>[] = [];
    for (let k = 0; k < 100; k++) refs.push(new WeakRef(op('Sin', [op('Exp', [Var(500000 + k, 2, 'j')])])));
    expect(internedCount()).toBe(before + 300);
    await collect();
    expect(refs.filter((r) => r.deref() !== undefined)).toHaveLength(0);
    expect(internedCount()).toBe(before);
    // A node kept alive stays the one the table returns.
    expect(op('Exp', [v])).toBe(op('Exp', [v]));
  });

  it('a loop of reductions on fresh LazyTensors leaves the table where it started', async () => {
    const x = new Float64Array(12).fill(0.3);
    const y = new Float64Array(15).fill(0.1);
    const step = (s: number) =>
      Vi({ data: x, shape: [4, 3] })
        .sqdist(Vj({ data: y, shape: [5, 3] }))
        .mul(Pm(s))
        .neg()
        .logsumexp('j', { backend: 'js' });
    step(1);
    await collect();
    const before = internedCount();
    for (let k = 0; k < 200; k++) step(1 + k / 100);
    expect(internedCount()).toBeGreaterThan(before + 200);
    await collect();
    expect(internedCount()).toBeLessThanOrEqual(before);
  });
});
