/** Type inference of the wasm kernel language's expressions (memoised per expression). */
import type { Expr } from './lang.js';

/**
 * Types of the kernel language: integers, the two float widths, a vector of the compute type
 * (f32x4 or f64x2) and a lane mask (a v128 of all-ones / all-zeros lanes).
 */
export type Ty = 'i32' | 'f32' | 'f64' | 'v' | 'm' | 'none';

export class ExprTypes {
  private readonly types = new WeakMap<Expr, Ty>();

  constructor(
    private readonly c: 'f32' | 'f64',
    /** The declared type of a named local or parameter (undefined when unknown). */
    private readonly nameType: (name: string) => Ty | undefined,
  ) {}

  /** Records the type of an expression built by the lowering itself. */
  declare(e: Expr, ty: Ty): void {
    this.types.set(e, ty);
  }

  /** The type two operands combine to (vectors and masks win, then the wider float). */
  join(a: Ty, b: Ty): Ty {
    if (a === 'v' || b === 'v' || a === 'm' || b === 'm') return 'v';
    if (a === 'f64' || b === 'f64') return 'f64';
    if (a === 'f32' || b === 'f32') return 'f32';
    return 'i32';
  }

  private floatOf(t: Ty): Ty {
    return t === 'i32' ? this.c : t;
  }

  typeOf(e: Expr): Ty {
    const hit = this.types.get(e);
    if (hit) return hit;
    // A left-deep chain (a sum over thousands of components) is typed from the bottom up, so
    // the recursion stays shallow.
    const spine: Expr[] = [];
    for (let c = e; c.k === 'bin' && !this.types.has(c.a); c = c.a) spine.push(c.a);
    for (let k = spine.length - 1; k >= 0; k--) this.types.set(spine[k]!, this.infer(spine[k]!));
    const t = this.infer(e);
    this.types.set(e, t);
    return t;
  }

  private infer(e: Expr): Ty {
    switch (e.k) {
      case 'num':
        return e.int ? 'i32' : this.c;
      case 'id': {
        const t = this.nameType(e.name);
        if (!t) throw new Error(`internal: wasm kernel: unknown name '${e.name}'`);
        return t;
      }
      case 'un':
        if (e.op === '!') return this.typeOf(e.a) === 'm' ? 'm' : 'i32';
        return this.typeOf(e.a);
      case 'bin': {
        const a = this.typeOf(e.a);
        const b = this.typeOf(e.b);
        if (e.op === '&&' || e.op === '||') return a === 'm' || b === 'm' ? 'm' : 'i32';
        const j = this.join(a, b);
        if (['<', '<=', '>', '>=', '==', '!='].includes(e.op)) return j === 'v' ? 'm' : 'i32';
        return j;
      }
      case 'call':
        return this.callType(e);
    }
  }

  private callType(e: Expr & { k: 'call' }): Ty {
    const args = e.args.map((a) => this.typeOf(a));
    switch (e.fn) {
      case 'ldf':
        return this.c;
      case 'ldi':
        return 'i32';
      case 'ldv':
      case 'ldsv':
        return 'v';
      case 'stf':
      case 'sti':
      case 'stv':
        return 'none';
      case 'lane':
        return this.c;
      case 'any':
        return 'i32';
      case 'b2f':
        return args[0] === 'm' ? 'v' : this.c;
      case 'sel':
        return this.join(args[1]!, args[2]!) === 'v' || args[0] === 'm'
          ? 'v'
          : this.floatOf(this.join(args[1]!, args[2]!));
      default: {
        let t: Ty = this.c === 'f64' ? 'f64' : 'i32';
        for (const a of args) t = this.join(t, a);
        return this.floatOf(t);
      }
    }
  }
}
