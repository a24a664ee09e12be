import { LazyTensorError } from '../errors.js';
import type { Node } from '../formula/node.js';
import '../formula/ops/index.js';
import { hasOp } from '../formula/opRegistry.js';
import { type AliasDecl, parseAlias } from './aliases.js';
import type { Ast } from './ast.js';
import { syntaxError } from './errors.js';
import { type LiteralParam, Lowerer, SPECIAL_FORMS } from './lower.js';
import { parseAst } from './parser.js';
import { isKnownKeOpsName } from './signatures.js';
import { maxInlineIndex, type VariableInfo, VarTable } from './variables.js';

/** Most aliases accepted in one list. */
export const MAX_ALIASES = 10_000;

/** The result of parsing formulas against one alias list. */
export interface ParsedProgram {
  /** One IR root per formula string, in order. */
  readonly formulas: Node[];
  /** User variables (aliases and inline Var/Vi/Vj/Pm), by increasing index. */
  readonly variables: VariableInfo[];
  /** Float literals of the text as hidden parameters, in order of appearance (indices >= nArgs). */
  readonly literals: LiteralParam[];
  /** Number of user arguments: one more than the largest user variable index. */
  readonly nArgs: number;
  /** The parsed aliases, in list order. */
  readonly aliases: AliasDecl[];
}

/**
 * Parses KeOps formula strings against a list of aliases ('x = Vi(3)', 'y = Vj(0, 3)',
 * 'g = Pm(1)', 'b = Var(3, 1, 1)'). All formulas share the variables and the numbering of hidden
 * literal parameters (e.g. a reduction's formula and its weight formula). Nothing in the text is
 * ever evaluated: it is tokenized, parsed and lowered to IR with the smart constructors.
 * Every problem is a LazyTensorError naming the position.
 */
export function parseProgram(formulas: readonly string[], aliases: readonly string[] = []): ParsedProgram {
  if (!Array.isArray(formulas)) {
    throw new LazyTensorError(
      `formulas: expected an array of strings, got ${formulas === null ? 'null' : typeof formulas}`,
    );
  }
  const first = formulas[0];
  return guardStack(typeof first === 'string' ? first.slice(0, 200) : '', () => parse(formulas, aliases));
}

function parse(formulas: readonly string[], aliases: readonly string[]): ParsedProgram {
  if (!Array.isArray(aliases)) {
    throw new LazyTensorError(
      `aliases: expected an array of strings, got ${aliases === null ? 'null' : typeof aliases}`,
    );
  }
  if (aliases.length > MAX_ALIASES) {
    throw new LazyTensorError(`aliases: at most ${MAX_ALIASES} aliases, got ${aliases.length}`);
  }
  const vars = new VarTable();
  const names = new Map<string, Node>();
  const decls: AliasDecl[] = [];
  aliases.forEach((text, k) => {
    const d = parseAlias(text, k);
    const namePos = text.indexOf(d.name);
    const fail = (msg: string) => syntaxError(text, namePos, msg);
    if (names.has(d.name)) throw fail(`alias '${d.name}' is declared twice`);
    if (hasOp(d.name) || SPECIAL_FORMS.has(d.name) || isKnownKeOpsName(d.name)) {
      throw fail(`alias name '${d.name}' is the name of an operation`);
    }
    names.set(d.name, vars.declare(d.index, d.dim, d.cat, fail, d.name));
    decls.push(d);
  });
  const asts: Ast[] = formulas.map((f) => parseAst(f));
  let maxIndex = vars.size - 1;
  for (const a of asts) maxIndex = Math.max(maxIndex, maxInlineIndex(a));
  const lowerer = new Lowerer(vars, names, maxIndex + 1);
  const roots = asts.map((a, k) => lowerer.lower(formulas[k]!, a));
  return {
    formulas: roots,
    variables: vars.list(),
    literals: lowerer.literals,
    nArgs: vars.size,
    aliases: decls,
  };
}

/** Turns a JS stack overflow (a formula too complex for some recursive pass) into a LazyTensorError. */
function guardStack<T>(src: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof RangeError && /call stack/i.test(e.message)) {
      throw syntaxError(src, 0, 'formula too complex', 'simplify it or split it');
    }
    throw e;
  }
}

/** A parsed single formula: its IR, variables and literal parameters. */
export interface ParsedFormula {
  readonly node: Node;
  readonly variables: VariableInfo[];
  readonly literals: LiteralParam[];
  readonly nArgs: number;
}

/** Parses one KeOps formula string (see `parseProgram`). */
export function parseFormula(formula: string, aliases: readonly string[] = []): ParsedFormula {
  const p = parseProgram([formula], aliases);
  return { node: p.formulas[0]!, variables: p.variables, literals: p.literals, nArgs: p.nArgs };
}
