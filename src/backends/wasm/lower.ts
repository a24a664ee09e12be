import { Body, ConstPool, T, type ValType } from './encoder.js';
import type { DeclType, Expr, Stmt } from './lang.js';
import { NonNegative } from './sign.js';
import { ExprTypes, type Ty } from './typing.js';
import type { ExpOptions } from './vmath.js';

export type { Ty } from './typing.js';

/** Imported scalar math functions (float64, JavaScript's Math or the JS prelude), in import order. */
export const MATH_IMPORTS = [
  'exp',
  'log',
  'sin',
  'cos',
  'asin',
  'acos',
  'atan',
  'atan2',
  'pow',
  'round',
  'fmod',
] as const;
const ARITY: Record<string, number> = { atan2: 2, pow: 2, fmod: 2 };

/** Where the lowering finds the module's helper functions (function indices). */
export interface Helpers {
  /** Vector exp and log of the compute type, when the module has them. */
  vexp?: number;
  vlog?: number;
  /** Inline code of the vector exp per lane type (x on the stack, four v128 scratch locals). */
  vexpInline?: Record<
    'f32' | 'f64',
    (b: Body, locals: readonly [number, number, number, number], opts: ExpOptions) => void
  >;
}

/** The compute type, the accumulator type and the helpers of one function's lowering. */
export interface LowerCfg {
  compute: 'f32' | 'f64';
  acc: 'f32' | 'f64';
  helpers: Helpers;
  /**
   * Fuses vector a * b + c and c - a * b into relaxed SIMD's multiply-add (one rounding where the
   * CPU has FMA): only where the runtime validates relaxed SIMD (features.ts).
   */
  fma?: boolean;
}

const WASM_TY: Record<Exclude<Ty, 'none'>, ValType> = {
  i32: T.i32,
  f32: T.f32,
  f64: T.f64,
  v: T.v128,
  m: T.v128,
};

/**
 * Lowers statements of the kernel language into one function's body. Parameters come first
 * (`params`); every declaration gets a local of its type. Types follow C's promotions
 * (int < f32 < f64), a scalar meeting a vector is splat, comparisons of vectors give masks.
 */
export class Lowering {
  /** The lowered statements (without the constants' prologue: read the function through `code`). */
  private readonly body = new Body();
  readonly locals: ValType[] = [];
  private readonly vars = new Map<string, { idx: number; ty: Ty }>();
  private readonly typing: ExprTypes;
  private nParams = 0;
  /** v128 scratch locals of inlined helpers (allocated once per function). */
  private scratch: [number, number, number, number] | undefined;
  private readonly c: 'f32' | 'f64';
  /** Locals declared as the negation of another local (name -> that declaration's init). */
  private readonly negated = new Map<string, Expr>();
  /** Locals declared as a vector product, with the locals of its factors (fused multiply-add). */
  private readonly products = new Map<string, [number, number]>();
  /** Values known to be non-negative (made from the whole function by the first `stmts`). */
  private sign: NonNegative | undefined;

  constructor(
    private readonly cfg: LowerCfg,
    params: readonly { name: string; ty: Ty }[],
  ) {
    this.c = cfg.compute;
    this.typing = new ExprTypes(cfg.compute, (name) => this.vars.get(name)?.ty);
    for (const p of params) this.vars.set(p.name, { idx: this.nParams++, ty: p.ty });
    this.body.pool = new ConstPool(() => this.temp('v'));
  }

  /** The function's code: its v128 constants set once (ConstPool), then the lowered body. */
  code(): Body {
    const b = this.body.pool?.prologue() ?? new Body();
    return b.bytes(this.body.toArray());
  }

  private local(name: string, ty: Ty): number {
    const have = this.vars.get(name);
    if (have) {
      if (have.ty !== ty)
        throw new Error(`internal: wasm kernel: '${name}' redeclared as ${ty} (was ${have.ty})`);
      return have.idx;
    }
    const idx = this.nParams + this.locals.length;
    this.locals.push(WASM_TY[ty as Exclude<Ty, 'none'>]);
    this.vars.set(name, { idx, ty });
    return idx;
  }

  /** A fresh unnamed local. */
  private temp(ty: Ty): number {
    const idx = this.nParams + this.locals.length;
    this.locals.push(WASM_TY[ty as Exclude<Ty, 'none'>]);
    return idx;
  }

  private lanes(): number {
    return this.c === 'f32' ? 4 : 2;
  }

  /** The type of an expression (memoised by the kernel's typing). */
  typeOf(e: Expr): Ty {
    return this.typing.typeOf(e);
  }

  // ---------------------------------------------------------------- expressions

  /** Emits `e` converted to type `to`. */
  emitAs(e: Expr, to: Ty): void {
    const from = this.typeOf(e);
    if (e.k === 'num' && to !== 'm' && to !== 'none' && from !== to) {
      this.constant(e.v, to);
      return;
    }
    this.emit(e, from === 'm' && to === 'v' ? 'm' : from);
    this.convert(from, to);
  }

  private constant(v: number, ty: Ty): void {
    const b = this.body;
    if (ty === 'i32') b.i32c(v);
    else if (ty === 'f32') b.f32c(v);
    else if (ty === 'f64') b.f64c(v);
    else if (ty === 'v') this.vconst(v);
    else throw new Error(`internal: wasm kernel: a constant of type ${ty}`);
  }

  /** A v128.const with every lane = v (compute type). */
  vconst(v: number): void {
    const bytes =
      this.c === 'f32'
        ? new Uint8Array(new Float32Array(4).fill(v).buffer)
        : new Uint8Array(new Float64Array(2).fill(v).buffer);
    this.body.v128(bytes);
  }

  private convert(from: Ty, to: Ty): void {
    if (from === to) return;
    const b = this.body;
    if (to === 'v') {
      if (from === 'm' || from === 'none') throw new Error(`internal: wasm kernel: ${from} used as a vector`);
      this.convert(from, this.c);
      b.simd(this.c === 'f32' ? 0x13 : 0x14);
      return;
    }
    if (to === 'm') {
      if (from !== 'i32') throw new Error(`internal: wasm kernel: ${from} used as a mask`);
      // 0/1 -> all-zeros / all-ones lanes.
      const t = this.temp('i32');
      b.set(t).i32c(0).get(t).op(0x6b).simd(0x11);
      return;
    }
    if (from === 'v' || from === 'm' || from === 'none')
      throw new Error(`internal: wasm kernel: ${from} used as ${to}`);
    if (to === 'i32') {
      if (from === 'f32') b.op(0xa8);
      else b.op(0xaa);
      return;
    }
    if (to === 'f32') b.op(from === 'i32' ? 0xb2 : 0xb6);
    else if (to === 'f64') b.op(from === 'i32' ? 0xb7 : 0xbb);
    else throw new Error(`internal: wasm kernel: cannot convert ${from} to ${to}`);
  }

  /** Emits `e` in its own type (`as` is that type). */
  private emit(e: Expr, as: Ty): void {
    const b = this.body;
    switch (e.k) {
      case 'num':
        this.constant(e.v, as);
        return;
      case 'id':
        b.get(this.vars.get(e.name)!.idx);
        return;
      case 'un': {
        if (e.op === '!') {
          if (as === 'm') {
            this.emitAs(e.a, 'm');
            b.simd(0x4d);
          } else {
            this.emitAs(e.a, 'i32');
            b.op(0x45);
          }
          return;
        }
        if (as === 'i32') {
          b.i32c(0);
          this.emitAs(e.a, 'i32');
          b.op(0x6b);
          return;
        }
        this.emitAs(e.a, as);
        if (as === 'f32') b.op(0x8c);
        else if (as === 'f64') b.op(0x9a);
        else b.simd(this.c === 'f32' ? 0xe1 : 0xed);
        return;
      }
      case 'bin':
        this.binary(e, as);
        return;
      case 'call':
        this.call(e, as);
        return;
    }
  }

  private binary(e: Expr & { k: 'bin' }, as: Ty): void {
    const b = this.body;
    if (e.op === '&&' || e.op === '||') {
      this.emitAs(e.a, as);
      this.emitAs(e.b, as);
      if (as === 'm') b.simd(e.op === '&&' ? 0x4e : 0x50);
      else b.op(e.op === '&&' ? 0x71 : 0x72);
      return;
    }
    if (Lowering.ARITH.has(e.op) && this.leftChain(e, as)) return;
    const cmp = ['==', '!=', '<', '>', '<=', '>='].indexOf(e.op);
    const t = cmp >= 0 ? this.typing.join(this.typeOf(e.a), this.typeOf(e.b)) : as;
    this.emitAs(e.a, t);
    this.emitAs(e.b, t);
    if (cmp >= 0) {
      if (t === 'i32') b.op([0x46, 0x47, 0x48, 0x4a, 0x4c, 0x4e][cmp]!);
      else if (t === 'f32') b.op(0x5b + cmp);
      else if (t === 'f64') b.op(0x61 + cmp);
      else b.simd((this.c === 'f32' ? 0x41 : 0x47) + [0, 1, 2, 3, 4, 5][cmp]!);
      return;
    }
    this.arith(e.op, t);
  }

  private arith(op: string, t: Ty): void {
    const b = this.body;
    const k = ['+', '-', '*', '/'].indexOf(op);
    if (k < 0) throw new Error(`internal: wasm kernel: operator ${op}`);
    if (t === 'i32') b.op([0x6a, 0x6b, 0x6c, 0x6d][k]!);
    else if (t === 'f32') b.op(0x92 + k);
    else if (t === 'f64') b.op(0xa0 + k);
    else b.simd((this.c === 'f32' ? 0xe4 : 0xf0) + k);
  }

  /** Arithmetic whose left operand is arithmetic of the same type: the left spine, in a loop. */
  private static readonly ARITH = new Set(['+', '-', '*', '/']);
  private leftChain(e: Expr & { k: 'bin' }, as: Ty): boolean {
    const spine: (Expr & { k: 'bin' })[] = [e];
    for (;;) {
      const a = spine[spine.length - 1]!.a;
      if (a.k !== 'bin' || !Lowering.ARITH.has(a.op) || this.typeOf(a) !== as) break;
      spine.push(a);
    }
    const fma = this.cfg.fma === true && as === 'v';
    if (spine.length < 2 && !fma) return false;
    this.emitAs(spine[spine.length - 1]!.a, as);
    for (let k = spine.length - 1; k >= 0; k--) {
      const { op, b } = spine[k]!;
      const next = spine[k - 1];
      if (fma && (op === '+' || op === '-') && this.product(b)) {
        // acc + b1 b2, acc - b1 b2: the operands go under the accumulator.
        const t = this.temp('v');
        this.body.set(t);
        this.product(b)!();
        this.body.get(t);
        this.body.simd(this.c === 'f32' ? (op === '+' ? 0x105 : 0x106) : op === '+' ? 0x107 : 0x108);
      } else if (fma && op === '*' && next?.op === '+') {
        // a b + c in one instruction.
        this.emitAs(b, as);
        this.emitAs(next.b, as);
        this.body.simd(this.c === 'f32' ? 0x105 : 0x107);
        k--;
      } else {
        this.emitAs(b, as);
        this.arith(op, as);
      }
    }
    return true;
  }

  /** Emits the two factors of a vector product (inline, or a local declared as one), if `e` is one. */
  private product(e: Expr): (() => void) | undefined {
    if (e.k === 'bin' && e.op === '*' && this.typeOf(e) === 'v')
      return () => {
        this.emitAs(e.a, 'v');
        this.emitAs(e.b, 'v');
      };
    const f = e.k === 'id' ? this.products.get(e.name) : undefined;
    return f && (() => this.body.get(f[0]).get(f[1]));
  }

  private call(e: Expr & { k: 'call' }, as: Ty): void {
    const b = this.body;
    const a = e.args;
    const c = this.c;
    const width = c === 'f32' ? 2 : 3;
    switch (e.fn) {
      case 'ldf':
        this.emitAs(a[0]!, 'i32');
        b.mem(c === 'f32' ? 0x2a : 0x2b, width);
        return;
      case 'ldi':
        this.emitAs(a[0]!, 'i32');
        b.mem(0x28, 2);
        return;
      case 'ldv':
        this.emitAs(a[0]!, 'i32');
        b.simdMem(0x00, width);
        return;
      case 'ldsv':
        // One value splat into every lane, straight from memory (no register held across a loop).
        this.emitAs(a[0]!, 'i32');
        b.simdMem(c === 'f32' ? 0x09 : 0x0a, width);
        return;
      case 'stf':
        this.emitAs(a[0]!, 'i32');
        this.emitAs(a[1]!, c);
        b.mem(c === 'f32' ? 0x38 : 0x39, width);
        return;
      case 'sti':
        this.emitAs(a[0]!, 'i32');
        this.emitAs(a[1]!, 'i32');
        b.mem(0x36, 2);
        return;
      case 'stv':
        this.emitAs(a[0]!, 'i32');
        this.emitAs(a[1]!, 'v');
        b.simdMem(0x0b, width);
        return;
      case 'lane': {
        const l = a[1]!;
        if (l.k !== 'num') throw new Error('internal: wasm kernel: lane() needs a literal lane');
        this.emitAs(a[0]!, 'v');
        b.simd(c === 'f32' ? 0x1f : 0x21).byte(l.v);
        return;
      }
      case 'any':
        this.emitAs(a[0]!, 'm');
        b.simd(0x53);
        return;
      case 'b2f':
        if (as === 'v') {
          this.emitAs(a[0]!, 'm');
          this.vconst(1);
          b.simd(0x4e);
        } else {
          this.emitAs(a[0]!, 'i32');
          this.convert('i32', as);
        }
        return;
      case 'sel':
        this.emitAs(a[1]!, as);
        this.emitAs(a[2]!, as);
        if (as === 'v') {
          this.emitAs(a[0]!, 'm');
          b.simd(0x52);
        } else {
          this.emitAs(a[0]!, 'i32');
          b.op(0x1b);
        }
        return;
      default:
        this.math(e.fn, a, as);
    }
  }

  /**
   * x when `e` is -x of the same type, directly or through a local declared as -y (y a local;
   * neither assigned since): the formula codegen names every intermediate value.
   */
  private negationOf(e: Expr): Expr | undefined {
    if (e.k === 'id') e = this.negated.get(e.name) ?? e;
    if (e.k === 'un' && e.op === '-' && this.typeOf(e) === this.typeOf(e.a)) return e.a;
    return undefined;
  }

  /** Native float instructions (scalar f32, f64, vector) of the math functions wasm has. */
  private static readonly NATIVE: Record<string, [number, number, number, number]> = {
    sqrt: [0x91, 0x9f, 0xe3, 0xef],
    abs: [0x8b, 0x99, 0xe0, 0xec],
    floor: [0x8e, 0x9c, 0x68, 0x75],
    min: [0x96, 0xa4, 0xe8, 0xf4],
    max: [0x97, 0xa5, 0xe9, 0xf5],
  };

  private math(name: string, args: readonly Expr[], as: Ty): void {
    const b = this.body;
    // expn(x): exp of a value the kernel skeleton knows to be <= 0 or NaN (log-sum-exp rescaling).
    const promised = name === 'expn';
    const fn = promised ? 'exp' : name;
    const nat = Lowering.NATIVE[fn];
    if (nat) {
      for (const x of args) this.emitAs(x, as);
      if (as === 'f32') b.op(nat[0]);
      else if (as === 'f64') b.op(nat[1]);
      else b.simd(this.c === 'f32' ? nat[2] : nat[3]);
      return;
    }
    const imp = (MATH_IMPORTS as readonly string[]).indexOf(fn);
    if (imp < 0) throw new Error(`internal: wasm kernel: unknown function ${fn}`);
    if ((ARITY[fn] ?? 1) !== args.length)
      throw new Error(`internal: wasm kernel: ${fn} takes ${ARITY[fn] ?? 1} arguments`);
    const h = this.cfg.helpers;
    if (fn === 'exp' && h.vexpInline) {
      // Inline vector code; a scalar goes through lane 0 of a splat (no call into JavaScript).
      const lanes = as === 'v' ? this.c : as;
      const code = lanes === 'f32' ? h.vexpInline.f32 : h.vexpInline.f64;
      // exp(-e) (Gaussian kernels): the negation folds into the exp's constants; when e is
      // known to be >= 0, the result is at most 1 (cheaper scaling).
      const neg = this.negationOf(args[0]!);
      this.emitAs(neg ?? args[0]!, as);
      if (as !== 'v') b.simd(lanes === 'f32' ? 0x13 : 0x14);
      this.scratch ??= [this.temp('v'), this.temp('v'), this.temp('v'), this.temp('v')];
      code(b, this.scratch, {
        negate: neg !== undefined,
        nonPositive: promised || (neg !== undefined && this.sign?.test(neg) === true),
        fma: this.cfg.fma === true,
      });
      if (as !== 'v') b.simd(lanes === 'f32' ? 0x1f : 0x21).byte(0);
      return;
    }
    if (as !== 'v') {
      for (const x of args) this.emitAs(x, 'f64');
      b.call(imp);
      if (as === 'f32') b.op(0xb6);
      return;
    }
    const vec = fn === 'exp' ? h.vexp : fn === 'log' ? h.vlog : undefined;
    if (vec !== undefined) {
      this.emitAs(args[0]!, 'v');
      b.call(vec);
      return;
    }
    // Lane by lane through the scalar function.
    const temps = args.map((x) => {
      const t = this.temp('v');
      this.emitAs(x, 'v');
      b.set(t);
      return t;
    });
    const res = this.temp('v');
    const f32 = this.c === 'f32';
    b.get(temps[0]!).set(res);
    for (let l = 0; l < this.lanes(); l++) {
      b.get(res);
      for (const t of temps) {
        b.get(t)
          .simd(f32 ? 0x1f : 0x21)
          .byte(l);
        if (f32) b.op(0xbb);
      }
      b.call(imp);
      if (f32) b.op(0xb6);
      b.simd(f32 ? 0x20 : 0x22).byte(l);
      b.set(res);
    }
    b.get(res);
  }

  // ---------------------------------------------------------------- statements

  private declType(ty: DeclType, init: Expr): Ty {
    if (ty === 'int') return 'i32';
    if (ty === 'acc') return this.cfg.acc;
    if (ty === 'vec') return 'v';
    const t = this.typeOf(init);
    return t === 'v' || t === 'm' ? 'v' : this.c;
  }

  /** `name` changes: negations that read it or define it no longer hold. */
  private forget(name: string): void {
    this.negated.delete(name);
    this.products.delete(name);
    for (const [k, init] of this.negated)
      if (init.k === 'un' && init.a.k === 'id' && init.a.name === name) this.negated.delete(k);
  }

  /** Lowers statements; the first call gets the whole function. */
  stmts(ss: readonly Stmt[]): void {
    this.sign ??= new NonNegative(ss);
    for (const s of ss) this.stmt(s);
  }

  stmt(s: Stmt): void {
    const b = this.body;
    switch (s.k) {
      case 'block':
        this.stmts(s.body);
        return;
      case 'decl': {
        const ty = this.declType(s.ty, s.init);
        const init = s.init;
        if (this.cfg.fma && ty === 'v' && init.k === 'bin' && init.op === '*' && this.typeOf(init) === 'v') {
          // A vector product keeps its factors (in locals: free in optimized code), so that a
          // later sum can fuse it; when it does, the product itself is dead code.
          const f: [number, number] = [this.temp('v'), this.temp('v')];
          this.emitAs(init.a, 'v');
          b.set(f[0]);
          this.emitAs(init.b, 'v');
          b.set(f[1]).get(f[0]).get(f[1]);
          this.arith('*', 'v');
          b.set(this.local(s.name, ty));
          this.forget(s.name);
          this.products.set(s.name, f);
        } else {
          this.emitAs(init, ty);
          b.set(this.local(s.name, ty));
          this.forget(s.name);
        }
        this.sign?.declare(s.name, s.init);
        if (s.init.k === 'un' && s.init.op === '-' && s.init.a.k === 'id') this.negated.set(s.name, s.init);
        return;
      }
      case 'set': {
        const v = this.vars.get(s.name);
        if (!v) throw new Error(`internal: wasm kernel: assignment to unknown '${s.name}'`);
        if (s.op === '=') {
          this.emitAs(s.e, v.ty);
        } else {
          const op = s.op === '+=' ? '+' : s.op === '-=' ? '-' : '*';
          const e: Expr = { k: 'bin', op, a: { k: 'id', name: s.name }, b: s.e };
          this.typing.declare(e, v.ty);
          this.emit(e, v.ty);
        }
        b.set(v.idx);
        this.forget(s.name);
        return;
      }
      case 'if':
        this.emitAs(s.c, 'i32');
        b.op(0x04).byte(0x40);
        this.stmt(s.t);
        if (s.e) {
          b.op(0x05);
          this.stmt(s.e);
        }
        b.op(0x0b);
        return;
      case 'while':
        b.op(0x02).byte(0x40).op(0x03).byte(0x40);
        this.emitAs(s.c, 'i32');
        b.op(0x45).op(0x0d).u32(1);
        this.stmt(s.body);
        b.op(0x0c).u32(0).op(0x0b).op(0x0b);
        return;
      case 'expr': {
        const t = this.typeOf(s.e);
        this.emit(s.e, t);
        if (t !== 'none') b.op(0x1a);
        return;
      }
    }
  }
}
