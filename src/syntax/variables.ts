import type { LazyTensorError } from '../errors.js';
import type { Cat, Node } from '../formula/node.js';
import { Var } from '../formula/ops/leaves.js';
import { MAX_DIM } from '../limits.js';
import type { Ast } from './ast.js';

/** Largest variable index accepted in formula text (KeOps indices are argument positions). */
export const MAX_VAR_INDEX = 9999;
/** Largest dimension of any variable or intermediate result (see src/limits.ts). */
export { MAX_DIM };

/** A user variable of a formula program: declared by an alias or written inline as Var(...). */
export interface VariableInfo {
  readonly index: number;
  readonly cat: Cat;
  readonly dim: number;
  /** Alias name, when declared by an alias. */
  readonly name?: string;
  /** The IR leaf `Var(index, dim, cat)`. */
  readonly node: Node;
}

/**
 * The variables of one program (aliases plus formulas): each index is one argument position, so it
 * has one category and one dimension. `declare` rejects a second, different use of an index.
 */
export class VarTable {
  private readonly byIndex = new Map<number, VariableInfo>();

  /** Declares (or re-uses) variable `index`; `fail(msg)` builds the positioned error. */
  declare(index: number, dim: number, cat: Cat, fail: (msg: string) => LazyTensorError, name?: string): Node {
    if (!(Number.isInteger(index) && index >= 0 && index <= MAX_VAR_INDEX)) {
      throw fail(`variable index must be an integer in [0, ${MAX_VAR_INDEX}], got ${index}`);
    }
    if (!(Number.isInteger(dim) && dim >= 1 && dim <= MAX_DIM)) {
      throw fail(`variable dimension must be an integer in [1, ${MAX_DIM}], got ${dim}`);
    }
    const prev = this.byIndex.get(index);
    if (prev) {
      if (prev.cat !== cat || prev.dim !== dim) {
        throw fail(
          `variable ${index} is declared twice differently: ${describeVar(prev)} and ${describeVar({ cat, dim, index })}`,
        );
      }
      if (name !== undefined && prev.name === undefined) this.byIndex.set(index, { ...prev, name });
      return prev.node;
    }
    const node = Var(index, dim, cat);
    this.byIndex.set(index, { index, cat, dim, node, ...(name !== undefined ? { name } : {}) });
    return node;
  }

  /** The variables declared so far, by increasing index. */
  list(): VariableInfo[] {
    return [...this.byIndex.values()].sort((a, b) => a.index - b.index);
  }

  /** One more than the largest declared index (0 when none). */
  get size(): number {
    let n = 0;
    for (const k of this.byIndex.keys()) n = Math.max(n, k + 1);
    return n;
  }
}

/** `Vi(0, 3)`-style description of a variable. */
export function describeVar(v: { cat: Cat; dim: number; index: number }): string {
  const f = v.cat === 'i' ? 'Vi' : v.cat === 'j' ? 'Vj' : 'Pm';
  return `${f}(${v.index}, ${v.dim})`;
}

/** The variable-declaring forms of formula text and their categories (Var gives its own). */
export const VAR_CATS: Readonly<Record<string, Cat>> = { Vi: 'i', Vj: 'j', Pm: 'p' };

/** Largest variable index written inline (Var/Vi/Vj/Pm with an explicit index) in a syntax tree. */
export function maxInlineIndex(ast: Ast): number {
  let max = -1;
  const stack: Ast[] = [ast];
  while (stack.length > 0) {
    const a = stack.pop()!;
    switch (a.kind) {
      case 'call': {
        const first = a.args[0];
        if (
          (a.name === 'Var' || Object.hasOwn(VAR_CATS, a.name)) &&
          a.args.length >= 2 &&
          first?.kind === 'num' &&
          first.isInt &&
          first.value >= 0 &&
          first.value <= MAX_VAR_INDEX
        ) {
          max = Math.max(max, first.value);
        }
        for (const c of a.args) stack.push(c);
        break;
      }
      case 'unary':
        stack.push(a.arg);
        break;
      case 'binary':
        stack.push(a.left, a.right);
        break;
      case 'tuple':
        for (const c of a.items) stack.push(c);
        break;
      default:
        break;
    }
  }
  return max;
}
