import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { internedCount, type Node } from '../../src/formula/node.js';
import { op } from '../../src/formula/opRegistry.js';
import { Var } from '../../src/formula/ops/leaves.js';
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
    // Built in a function of its own: no local of this (async) frame keeps the last one alive.
    const build = (k: number) => {
      const leaf = Var(500000 + k, 2, 'j');
      refs.push(
        new WeakRef(leaf),
        new WeakRef(op('Exp', [leaf])),
        new WeakRef(op('Sin', [op('Exp', [leaf])])),
      );
    };
    for (let k = 0; k < 100; k++) build(k);
    // The leaves are in the leaf table; nodes with children hang off their youngest child.
    expect(internedCount()).toBe(before + 100);
    await collect();
    expect(refs.filter((r) => r.deref() !== undefined)).toHaveLength(0);
    expect(internedCount()).toBe(before);
    // A node kept alive stays the one the table returns.
    expect(op('Exp', [v])).toBe(op('Exp', [v]));
    const sin = op('Sin', [op('Exp', [v])]);
    await collect();
    expect(op('Sin', [op('Exp', [v])])).toBe(sin);
  });

  it('a loop of reductions on fresh LazyTensors keeps none of its nodes', async () => {
    const x = new Float64Array(12).fill(0.3);
    const y = new Float64Array(15).fill(0.1);
    const refs: WeakRef<Node>[] = [];
    const step = (s: number) => {
      const f = Vi({ data: x, shape: [4, 3] })
        .sqdist(Vj({ data: y, shape: [5, 3] }))
        .mul(Pm(s))
        .neg();
      refs.push(new WeakRef(f.formula), new WeakRef(f.formula.args[0]!));
      return f.logsumexp('j', { backend: 'js' });
    };
    step(1);
    await collect();
    const before = internedCount();
    for (let k = 0; k < 200; k++) step(1 + k / 100);
    await collect();
    expect(refs.filter((r) => r.deref() !== undefined)).toHaveLength(0);
    // Fresh LazyTensor variables never enter the leaf table.
    expect(internedCount()).toBeLessThanOrEqual(before);
  });

  it('transposing a fresh variable twice gives back the same node', () => {
    const x = Vi({ data: new Float64Array(6), shape: [2, 3] });
    const xt = x.t();
    expect(xt.formula).not.toBe(x.formula);
    expect(xt.formula.params).toEqual([x.formula.params[0], 1, 3]);
    expect(xt.t().formula).toBe(x.formula);
    expect(x.t().formula).toBe(xt.formula);
  });
});
