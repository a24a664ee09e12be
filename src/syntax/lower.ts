import { grad } from '../autodiff/index.js';
import { LazyTensorError } from '../errors.js';
import type { Cat, Node } from '../formula/node.js';
import { isVar } from '../formula/node.js';
import { hasOp, op } from '../formula/opRegistry.js';
import { IntCst, Var, Zero } from '../formula/ops/leaves.js';
import { powfConstant } from '../formula/ops/math.js';
import type { Ast } from './ast.js';
import { syntaxError } from './errors.js';
import { describeSignature, encodeParams, isKnownKeOpsName, keopsNames, signatureOf } from './signatures.js';
import { suggestion } from './suggest.js';
import { MAX_DIM, MAX_VAR_INDEX, VAR_CATS, type VarTable } from './variables.js';

/** Largest integer written as a compile-time constant or integer parameter. */
export const INT_LIMIT = 2 ** 31 - 1;

/** A float literal of the text, turned into a hidden parameter variable. */
export interface LiteralParam {
  /** `Var(index, 1, 'p')` with an index after every user variable. */
  readonly node: Node;
  readonly value: number;
}

/** Names with a meaning of their own in formula text (besides the op table). */
export const SPECIAL_FORMS = new Set(['Var', 'Vi', 'Vj', 'Pm', 'IntCst', 'Zero', 'IntInv', 'Grad']);

const CAT_CODES: readonly Cat[] = ['i', 'j', 'p'];

interface Frame {
  readonly ast: Ast;
  readonly kids: readonly Ast[];
  readonly results: Node[];
}

/**
 * Lowers syntax trees to IR with the smart constructors, resolving names against the aliases and
 * the op table, reading integer parameters and tuples, and turning float literals into hidden
 * parameter variables (indices from `hiddenBase` on, in order of appearance). Iterative, so long
 * operator chains cannot overflow the stack. Every error names the position in the source.
 */
export class Lowerer {
  readonly literals: LiteralParam[] = [];
  private src = '';

  constructor(
    private readonly vars: VarTable,
    private readonly names: ReadonlyMap<string, Node>,
    private readonly hiddenBase: number,
  ) {}

  /** Lowers one formula's syntax tree; `src` is its text (for error messages). */
  lower(src: string, root: Ast): Node {
    this.src = src;
    const stack: Frame[] = [{ ast: root, kids: this.formulaArgs(root), results: [] }];
    let last: Node | undefined;
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.results.length < top.kids.length) {
        const child = top.kids[top.results.length]!;
        stack.push({ ast: child, kids: this.formulaArgs(child), results: [] });
        continue;
      }
      stack.pop();
      const node = this.build(top.ast, top.results);
      if (node.dim > MAX_DIM) {
        throw this.err(
          top.ast.pos,
          'result too large',
          `dimension ${node.dim} exceeds the limit MAX_DIM = ${MAX_DIM}`,
        );
      }
      if (stack.length > 0) stack[stack.length - 1]!.results.push(node);
      else last = node;
    }
    return last!;
  }

  private err(pos: number, problem: string, detail?: string): LazyTensorError {
    return syntaxError(this.src, pos, problem, detail);
  }

  /** The sub-trees of `a` that are formulas (lowered before `a` itself), validating arities. */
  private formulaArgs(a: Ast): readonly Ast[] {
    switch (a.kind) {
      case 'num':
      case 'name':
        return [];
      case 'tuple':
        throw this.err(
          a.pos,
          'expected a formula',
          'found a tuple (tuples are only arguments of TensorDot, Kron, ...)',
        );
      case 'unary':
        return [a.arg];
      case 'binary':
        if (a.op === '^' && isIntLiteral(a.right)) return [a.left];
        return [a.left, a.right];
      case 'call': {
        if (SPECIAL_FORMS.has(a.name)) {
          if (a.name !== 'Grad') return [];
          if (a.args.length !== 3) {
            throw this.err(
              a.pos,
              'wrong number of arguments',
              `Grad expects 3 arguments (formula, variable, gradient input), got ${a.args.length}`,
            );
          }
          const v = a.args[1]!;
          if (
            !(
              v.kind === 'name' ||
              (v.kind === 'call' && (v.name === 'Var' || Object.hasOwn(VAR_CATS, v.name)))
            )
          ) {
            throw this.err(
              v.pos,
              'expected a variable',
              'the second argument of Grad must be an alias or Var(...)',
            );
          }
          return a.args;
        }
        const sig = signatureOf(a.name);
        if (!sig) throw this.unknownOp(a.name, a.pos);
        const n = a.args.length;
        if (n < sig.required || n > sig.kinds.length) {
          throw this.err(a.pos, 'wrong number of arguments', `${describeSignature(a.name, sig)}; got ${n}`);
        }
        return a.args.filter((_, k) => sig.kinds[k] === 'f');
      }
    }
  }

  private unknownOp(name: string, pos: number): LazyTensorError {
    if (isKnownKeOpsName(name) && !hasOp(name)) {
      return this.err(
        pos,
        'operation not available',
        `'${name}' is a KeOps operation this build does not implement`,
      );
    }
    if (this.names.has(name))
      return this.err(pos, 'not an operation', `'${name}' is a variable, not a function`);
    return this.err(pos, 'unknown operation', `'${name}'${suggestion(name, keopsNames())}`);
  }

  /** Reads an integer literal argument (sign allowed) within [lo, hi]. */
  private intArg(a: Ast, what: string, lo = -INT_LIMIT, hi = INT_LIMIT, hint?: string): number {
    if (a.kind === 'num' && a.isInt) {
      if (a.value < lo || a.value > hi) {
        throw this.err(a.pos, 'integer out of range', `${what} must be in [${lo}, ${hi}], got ${a.text}`);
      }
      return a.value === 0 ? 0 : a.value;
    }
    const found = a.kind === 'num' ? `the number ${a.text}` : a.kind === 'tuple' ? 'a tuple' : 'a formula';
    throw this.err(a.pos, `expected an integer for ${what}`, `found ${found}${hint ?? ''}`);
  }

  /** Reads a tuple of integers `(2,3)`, `[2,3]`, `(2,)` or a single integer. */
  private tupleArg(a: Ast, what: string): number[] {
    if (a.kind === 'tuple') return a.items.map((x) => this.intArg(x, `an entry of ${what}`));
    if (a.kind === 'num' && a.isInt) return [this.intArg(a, what)];
    throw this.err(
      a.pos,
      `expected a tuple of integers for ${what}`,
      `found ${a.kind === 'num' ? `the number ${a.text}` : 'a formula'}`,
    );
  }

  /** op() with its errors (arity, params, dimensions) located at `pos`. */
  private make(pos: number, name: string, args: readonly Node[], params: readonly number[] = []): Node {
    try {
      return op(name, args, params);
    } catch (e) {
      if (e instanceof LazyTensorError) throw this.err(pos, e.message.split('\n')[0]!);
      throw e;
    }
  }

  private literal(a: Extract<Ast, { kind: 'num' }>): Node {
    if (a.isInt && Math.abs(a.value) <= INT_LIMIT) return IntCst(a.value === 0 ? 0 : a.value);
    const node = Var(this.hiddenBase + this.literals.length, 1, 'p');
    this.literals.push({ node, value: a.value });
    return node;
  }

  /**
   * Powf's exponent: a float literal that is a half-integer with |t| <= 8 is compiled in (Powf
   * then becomes PowHalf: sqrt and multiplications) instead of staying a hidden parameter.
   */
  private powfExponent(ast: Ast, kid: Node): Node {
    const c = ast.kind === 'num' ? powfConstant(ast.value) : undefined;
    if (!c || this.literals[this.literals.length - 1]?.node !== kid) return kid;
    this.literals.pop();
    return c;
  }

  private build(a: Ast, kids: readonly Node[]): Node {
    switch (a.kind) {
      case 'num':
        return this.literal(a);
      case 'name': {
        const v = this.names.get(a.name);
        if (v) return v;
        if (hasOp(a.name) || SPECIAL_FORMS.has(a.name) || isKnownKeOpsName(a.name)) {
          throw this.err(
            a.pos,
            `expected '(' after ${a.name}`,
            `'${a.name}' is an operation, not a variable`,
          );
        }
        const known = [...this.names.keys()];
        throw this.err(
          a.pos,
          'unknown variable',
          `'${a.name}'${suggestion(a.name, known)}; declared: ${known.length ? known.join(', ') : 'none'}`,
        );
      }
      case 'unary':
        return this.make(a.pos, 'Minus', kids);
      case 'binary':
        return this.binary(a, kids);
      case 'tuple':
        throw this.err(a.pos, 'expected a formula', 'found a tuple');
      case 'call':
        return this.call(a, kids);
    }
  }

  private binary(a: Extract<Ast, { kind: 'binary' }>, kids: readonly Node[]): Node {
    switch (a.op) {
      case '+':
        return this.make(a.pos, 'Add', kids);
      case '-':
        return this.make(a.pos, 'Subtract', kids);
      case '*':
        return this.make(a.pos, 'Mult', kids);
      case '/':
        return this.make(a.pos, 'Divide', kids);
      case '|':
        if (!hasOp('Scalprod')) throw this.unknownOp('Scalprod', a.pos);
        return this.make(a.pos, 'Scalprod', kids);
      case '^':
        if (kids.length === 1) {
          if (!hasOp('Pow')) throw this.unknownOp('Pow', a.pos);
          return this.make(a.pos, 'Pow', kids, [this.intArg(a.right, 'the exponent')]);
        }
        if (!hasOp('Powf')) throw this.unknownOp('Powf', a.pos);
        return this.make(a.pos, 'Powf', [kids[0]!, this.powfExponent(a.right, kids[1]!)]);
    }
  }

  private call(a: Extract<Ast, { kind: 'call' }>, kids: readonly Node[]): Node {
    const { name, args, pos } = a;
    const count = (n: number, what: string): void => {
      if (args.length !== n) {
        throw this.err(
          pos,
          'wrong number of arguments',
          `${name} expects ${what}, got ${args.length} argument(s)`,
        );
      }
    };
    switch (name) {
      case 'Var': {
        count(3, '3 integers (index, dim, cat)');
        const cat = this.intArg(args[2]!, 'the category', 0, 2);
        return this.declare(args, CAT_CODES[cat]!);
      }
      case 'Vi':
      case 'Vj':
      case 'Pm':
        if (args.length === 1) {
          throw this.err(
            pos,
            'missing variable index',
            `${name}(dim) is only allowed in aliases; write ${name}(index, dim)`,
          );
        }
        count(2, '2 integers (index, dim)');
        return this.declare(args, VAR_CATS[name]!);
      case 'IntCst':
        count(1, '1 integer');
        return IntCst(this.intArg(args[0]!, 'IntCst', -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER));
      case 'Zero':
        count(1, '1 integer (the dimension)');
        return Zero(this.intArg(args[0]!, 'the dimension', 1, MAX_DIM));
      case 'IntInv': {
        count(1, '1 integer');
        const n = IntCst(this.intArg(args[0]!, 'IntInv'));
        return hasOp('Inv') ? this.make(pos, 'Inv', [n]) : this.make(pos, 'Divide', [IntCst(1), n]);
      }
      case 'Grad': {
        const [F, v, e] = kids as [Node, Node, Node];
        if (!isVar(v)) throw this.err(args[1]!.pos, 'expected a variable', 'the second argument of Grad');
        try {
          return grad(F, v, e);
        } catch (err) {
          if (err instanceof LazyTensorError) throw this.err(pos, `Grad: ${err.message.split('\n')[0]!}`);
          throw err;
        }
      }
      case 'Powf':
        if (kids.length === 2) return this.make(pos, name, [kids[0]!, this.powfExponent(args[1]!, kids[1]!)]);
        break;
      default:
        break;
    }
    const sig = signatureOf(name)!;
    const ints: (number | number[])[] = [];
    args.forEach((x, k) => {
      const kind = sig.kinds[k]!;
      const hint = name === 'Pow' ? ' (Powf(x, y) takes a non-integer exponent)' : undefined;
      if (kind === 'i')
        ints.push(this.intArg(x, `argument ${k + 1} of ${name}`, -INT_LIMIT, INT_LIMIT, hint));
      else if (kind === 't') ints.push(this.tupleArg(x, `argument ${k + 1} of ${name}`));
    });
    let params: number[];
    try {
      params = encodeParams(name, ints);
    } catch (e) {
      if (e instanceof LazyTensorError) throw this.err(pos, e.message);
      throw e;
    }
    return this.make(pos, name, kids, params);
  }

  private declare(args: readonly Ast[], cat: Cat): Node {
    const index = this.intArg(args[0]!, 'the variable index', 0, MAX_VAR_INDEX);
    const dim = this.intArg(args[1]!, 'the variable dimension', 1, MAX_DIM);
    return this.vars.declare(index, dim, cat, (msg) => this.err(args[0]!.pos, msg));
  }
}

function isIntLiteral(a: Ast): boolean {
  return a.kind === 'num' && a.isInt;
}
