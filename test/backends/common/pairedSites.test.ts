/**
 * The sites of the GEMM-like paths (src/backends/common/pairedSites.ts): vector reductions at
 * D >= 32 whose summand is arithmetic of variables pairing an i- with a j-variable.
 */
import { describe, expect, it } from 'vitest';
import { pairedSites } from '../../../src/backends/common/pairedSites.js';
import { op, Var } from '../../../src/formula/index.js';
import type { Node } from '../../../src/formula/node.js';

const x = (D: number) => Var(0, D, 'i');
const y = (D: number) => Var(1, D, 'j');
const b = Var(2, 1, 'j');

describe('pairedSites', () => {
  it('finds SqDist, scalar products and weighted distances at D >= 32, with a one-component IR', () => {
    const D = 40;
    const cases: Node[] = [
      op('SqDist', [x(D), y(D)]),
      op('Mult', [op('Scalprod', [x(D), y(D)]), b]),
      op('WeightedSqDist', [Var(3, D, 'p'), x(D), y(D)]),
      op('Exp', [op('Minus', [op('WeightedSqDist', [b, x(D), y(D)])])]),
    ];
    for (const f of cases) {
      const sites = pairedSites(f);
      expect(sites.length, f.op).toBe(1);
      expect(sites[0]!.dim).toBe(D);
      expect(sites[0]!.scalar.dim).toBe(1);
    }
  });

  it('skips small D, sums without a j-variable, and summands with computed or constant leaves', () => {
    const D = 64;
    const cases: Node[] = [
      op('SqDist', [x(3), y(3)]),
      op('Mult', [op('SqNorm2', [x(D)]), b]),
      op('Sum', [op('Mult', [op('Sum', [x(D)]), y(D)])]),
    ];
    for (const f of cases) expect(pairedSites(f), f.op).toEqual([]);
  });

  it('finds every paired site of a formula, in topological order', () => {
    const D = 40;
    const f = op('Add', [op('SqDist', [x(D), y(D)]), op('Scalprod', [x(D), Var(5, D, 'j')])]);
    expect(pairedSites(f).map((s) => s.node.op)).toEqual(['SqDist', 'Scalprod']);
  });
});
