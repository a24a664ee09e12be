import { beforeEach, describe, expect, it, vi } from 'vitest';
import { samplesLoss, solveOT } from '../../src/ot/index.js';
import { mulberry32 } from '../../src/random.js';

/** A custom cost formula is parsed once per call: every pair operator and the ε-schedule share it. */

const parses = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../src/syntax/program.js', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../../src/syntax/program.js')>();
  return {
    ...mod,
    parseProgram: (...args: Parameters<typeof mod.parseProgram>) => {
      parses.count++;
      return mod.parseProgram(...args);
    },
  };
});

function cloud(n: number, seed: number): number[][] {
  const r = mulberry32(seed);
  return Array.from({ length: n }, () => [r(), r()]);
}

describe('custom cost formulas', () => {
  const x = cloud(6, 1);
  const y = cloud(5, 2);
  const cost = 'SqDist(X,Y) / IntCst(2)';
  beforeEach(() => {
    parses.count = 0;
  });
  for (const loss of ['sinkhorn', 'hausdorff'] as const) {
    for (const backend of ['tensorized', 'online'] as const) {
      it(`are parsed once per samplesLoss call (${loss}, ${backend})`, () => {
        const r = samplesLoss(x, y, { loss, cost, p: 2, blur: 0.3, backend, compute: 'js' });
        expect(Number.isFinite(r.value as number)).toBe(true);
        expect(parses.count).toBe(1);
      });
    }
  }
  it('are parsed once per solveOT call', () => {
    const r = solveOT(x, y, { cost, p: 2, blur: 0.3, compute: 'js' });
    expect(Number.isFinite(r.value)).toBe(true);
    expect(parses.count).toBe(1);
  });
});
