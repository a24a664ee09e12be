import type { Expr, Stmt } from './lang.js';

/**
 * Which expressions of a kernel are never negative (>= 0 or NaN): squares, absolute values, square
 * roots and exponentials, non-negative constants, and sums, products and quotients of such; a
 * local counts when its one declaration does and nothing assigns it. The lowering uses this to
 * pick cheaper code, e.g. exp of a value known to be <= 0 (Gaussian kernels: exp(-|x - y|^2)).
 */
export class NonNegative {
  /** Locals declared non-negative (and never assigned). */
  private readonly known = new Set<string>();
  /** Locals that are assigned or declared more than once somewhere in the function. */
  private readonly varying = new Set<string>();

  /** Reads a whole function first, so that a value that changes later (in a loop) is never trusted. */
  constructor(fn: readonly Stmt[]) {
    const declared = new Set<string>();
    const visit = (s: Stmt): void => {
      if (s.k === 'block') s.body.forEach(visit);
      else if (s.k === 'if') {
        visit(s.t);
        if (s.e) visit(s.e);
      } else if (s.k === 'while') visit(s.body);
      else if (s.k === 'set') this.varying.add(s.name);
      else if (s.k === 'decl') {
        if (declared.has(s.name)) this.varying.add(s.name);
        declared.add(s.name);
      }
    };
    fn.forEach(visit);
  }

  /** Records the declaration `name = init`. */
  declare(name: string, init: Expr): void {
    if (!this.varying.has(name) && this.test(init)) this.known.add(name);
  }

  /** True when `e` is known to be >= 0 or NaN. */
  test(e: Expr): boolean {
    switch (e.k) {
      case 'num':
        return e.v >= 0;
      case 'id':
        return this.known.has(e.name);
      case 'un':
        return false;
      case 'bin':
        if (e.op === '*' && e.a.k === 'id' && e.b.k === 'id' && e.a.name === e.b.name) return true;
        return (e.op === '+' || e.op === '*' || e.op === '/') && this.test(e.a) && this.test(e.b);
      case 'call':
        return ['abs', 'sqrt', 'exp'].includes(e.fn);
    }
  }
}
