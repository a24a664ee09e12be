import { Body, ConstPool, type ValType } from './encoder.js';
import type { DeclType, Expr, Stmt } from './lang.js';
import { emitCall } from './lowerCalls.js';
import { type LowerCfg, type LowerCtx, WASM_TY } from './lowerContext.js';
import { emitArithChain } from './lowerFma.js';
import { emitArith, emitConstant, emitConvert } from './lowerValues.js';
import { NonNegative } from './sign.js';
import { ExprTypes, type Ty } from './typing.js';

export type { Helpers, LowerCfg } from './lowerContext.js';
export type { Ty } from './typing.js';

/**
 * Lowers statements of the kernel language into one function's body. Parameters come first
 * (`params`); every declaration gets a local of its type. Types follow C's promotions
 * (int < f32 < f64), a scalar meeting a vector is splat, comparisons of vectors give masks.
 * Calls and math (lowerCalls.ts, lowerMath.ts), fused arithmetic (lowerFma.ts), constants and
 * conversions (lowerValues.ts) are lowered by functions given this object (LowerCtx).
 */
export class Lowering implements LowerCtx {
  /** The lowered statements (without the constants' prologue: read the function through `code`). */
  readonly body = new Body();
  readonly locals: ValType[] = [];
  private readonly vars = new Map<string, { idx: number; ty: Ty }>();
  private readonly typing: ExprTypes;
  private nParams = 0;
  /** v128 scratch locals of inlined helpers (allocated once per function). */
  private scratchLocals: [number, number, number, number] | undefined;
  readonly c: 'f32' | 'f64';
  /** Locals declared as the negation of another local (name -> that declaration's init). */
  private readonly negated = new Map<string, Expr>();
  /** Locals declared as a vector product, with the locals of its factors (fused multiply-add). */
  private readonly products = new Map<string, [number, number]>();
  /** Values known to be non-negative (made from the whole function by the first `stmts`). */
  private sign: NonNegative | undefined;

  constructor(
    readonly cfg: LowerCfg,
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
  temp(ty: Ty): number {
    const idx = this.nParams + this.locals.length;
    this.locals.push(WASM_TY[ty as Exclude<Ty, 'none'>]);
    return idx;
  }

  scratch(): readonly [number, number, number, number] {
    this.scratchLocals ??= [this.temp('v'), this.temp('v'), this.temp('v'), this.temp('v')];
    return this.scratchLocals;
  }

  /** The type of an expression (memoised by the kernel's typing). */
  typeOf(e: Expr): Ty {
    return this.typing.typeOf(e);
  }

  /**
   * x when `e` is -x of the same type, directly or through a local declared as -y (y a local;
   * neither assigned since): the formula codegen names every intermediate value.
   */
  negationOf(e: Expr): Expr | undefined {
    if (e.k === 'id') e = this.negated.get(e.name) ?? e;
    if (e.k === 'un' && e.op === '-' && this.typeOf(e) === this.typeOf(e.a)) return e.a;
    return undefined;
  }

  nonNegative(e: Expr): boolean {
    return this.sign?.test(e) === true;
  }

  productFactors(name: string): readonly [number, number] | undefined {
    return this.products.get(name);
  }

  // ---------------------------------------------------------------- expressions

  /** Emits `e` converted to type `to`. */
  emitAs(e: Expr, to: Ty): void {
    const from = this.typeOf(e);
    if (e.k === 'num' && to !== 'm' && to !== 'none' && from !== to) {
      emitConstant(this, e.v, to);
      return;
    }
    this.emit(e, from === 'm' && to === 'v' ? 'm' : from);
    emitConvert(this, from, to);
  }

  /** Emits `e` in its own type (`as` is that type). */
  private emit(e: Expr, as: Ty): void {
    const b = this.body;
    switch (e.k) {
      case 'num':
        emitConstant(this, e.v, as);
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
        emitCall(this, e, as);
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
    if (emitArithChain(this, e, as)) return;
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
    emitArith(this, e.op, t);
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
          emitArith(this, '*', 'v');
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
