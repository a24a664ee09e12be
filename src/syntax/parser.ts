import { MAX_FORMULA_ARGS as MAX_ARGS, MAX_FORMULA_DEPTH as MAX_DEPTH } from '../limits.js';
import type { Ast } from './ast.js';
import { syntaxError } from './errors.js';
import { type Token, tokenize } from './tokenizer.js';

/** Deepest nesting and most arguments of one call accepted in one formula: see src/limits.ts. */
export { MAX_ARGS, MAX_DEPTH };

/**
 * Recursive-descent parser of KeOps formula syntax. Grammar (lowest precedence first; KeOps
 * formula strings follow Python's precedences, `^` is a synonym of Python's `**`):
 *
 *   formula := scal EOF
 *   scal    := sum ('|' sum)*                      scalar product (Scalprod), left-associative
 *   sum     := term (('+' | '-') term)*            left-associative
 *   term    := unary (('*' | '/') unary)*          left-associative
 *   unary   := ('-' | '+') unary | power
 *   power   := primary (('^' | '**') unary)?       right-associative: -x^2 = -(x^2), x^-1 allowed
 *   primary := number | name | name '(' [arg (',' arg)* [',']] ')'
 *            | '(' scal ')' | '(' arg ',' ... ')' | '[' arg, ... ']'      (tuples)
 *   arg     := scal | tuple
 *
 * The result is a syntax tree; names, arities and dimensions are checked when it is lowered to IR.
 */
export class Parser {
  private readonly toks: Token[];
  private k = 0;
  private depth = 0;

  constructor(private readonly src: string) {
    this.toks = tokenize(src);
  }

  /** Parses a whole formula (everything up to the end of the string). */
  parseFormula(): Ast {
    const e = this.scal();
    this.expectEnd();
    return e;
  }

  /** The source text (for error messages). */
  get source(): string {
    return this.src;
  }

  /** The current token. */
  peek(): Token {
    return this.toks[this.k]!;
  }

  /** Consumes the current token. */
  next(): Token {
    const t = this.toks[this.k]!;
    if (t.kind !== 'end') this.k++;
    return t;
  }

  /** True (and consumes it) when the current token is the punctuation `p`. */
  accept(p: string): boolean {
    const t = this.peek();
    if (t.kind === 'punct' && t.text === p) {
      this.k++;
      return true;
    }
    return false;
  }

  /** Consumes the punctuation `p` or throws an error naming what was found instead. */
  expect(p: string, context?: string): Token {
    const t = this.peek();
    if (t.kind === 'punct' && t.text === p) return this.next();
    throw syntaxError(
      this.src,
      t.pos,
      `expected '${p}'${context ? ` ${context}` : ''}`,
      `found ${describe(t)}`,
    );
  }

  /** Throws unless the whole input has been read. */
  expectEnd(): void {
    const t = this.peek();
    if (t.kind !== 'end') {
      const hint =
        t.kind === 'punct' && (t.text === ')' || t.text === ']')
          ? 'unbalanced parenthesis'
          : 'expected an operator or the end of the formula';
      throw syntaxError(this.src, t.pos, hint, `found ${describe(t)}`);
    }
  }

  private enter(pos: number): void {
    if (++this.depth > MAX_DEPTH) {
      throw syntaxError(
        this.src,
        pos,
        'formula nested too deeply',
        `more than ${MAX_DEPTH} levels of nesting (the limit MAX_FORMULA_DEPTH)`,
      );
    }
  }

  private leave(): void {
    this.depth--;
  }

  /** scal := sum ('|' sum)* */
  scal(): Ast {
    let left = this.sum();
    for (;;) {
      const t = this.peek();
      if (!(t.kind === 'punct' && t.text === '|')) return left;
      this.next();
      const right = this.sum();
      left = { kind: 'binary', pos: t.pos, op: '|', left, right };
    }
  }

  private sum(): Ast {
    let left = this.term();
    for (;;) {
      const t = this.peek();
      if (!(t.kind === 'punct' && (t.text === '+' || t.text === '-'))) return left;
      this.next();
      const right = this.term();
      left = { kind: 'binary', pos: t.pos, op: t.text as '+' | '-', left, right };
    }
  }

  private term(): Ast {
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      if (!(t.kind === 'punct' && (t.text === '*' || t.text === '/'))) return left;
      this.next();
      const right = this.unary();
      left = { kind: 'binary', pos: t.pos, op: t.text as '*' | '/', left, right };
    }
  }

  private unary(): Ast {
    const t = this.peek();
    if (t.kind === 'punct' && (t.text === '-' || t.text === '+')) {
      this.next();
      const literalNext = this.peek().kind === 'number';
      this.enter(t.pos);
      const arg = this.unary();
      this.leave();
      if (t.text === '+') return arg;
      // A sign written right before a bare literal is part of the literal (one parameter, not
      // Minus(param)); `-(0.5)` stays a Minus.
      if (literalNext && arg.kind === 'num') {
        return { kind: 'num', pos: t.pos, text: `-${arg.text}`, value: -arg.value, isInt: arg.isInt };
      }
      return { kind: 'unary', pos: t.pos, op: '-', arg };
    }
    return this.power();
  }

  private power(): Ast {
    const base = this.primary();
    const t = this.peek();
    if (t.kind === 'punct' && (t.text === '^' || t.text === '**')) {
      this.next();
      this.enter(t.pos);
      const exponent = this.unary();
      this.leave();
      return { kind: 'binary', pos: t.pos, op: '^', left: base, right: exponent };
    }
    return base;
  }

  private primary(): Ast {
    const t = this.peek();
    if (t.kind === 'number') {
      this.next();
      return numberNode(this.src, t);
    }
    if (t.kind === 'ident') {
      this.next();
      const open = this.peek();
      if (open.kind === 'punct' && open.text === '(') {
        this.next();
        this.enter(open.pos);
        const args = this.list(
          ')',
          `(the arguments of ${t.text}( at position ${open.pos + 1} are not closed)`,
        );
        this.leave();
        return { kind: 'call', pos: t.pos, name: t.text, args };
      }
      return { kind: 'name', pos: t.pos, name: t.text };
    }
    if (t.kind === 'punct' && (t.text === '(' || t.text === '[')) {
      this.next();
      this.enter(t.pos);
      const close = t.text === '(' ? ')' : ']';
      const items = this.list(
        close,
        `(the ${t.text === '(' ? 'parenthesis' : 'bracket'} at position ${t.pos + 1} is not closed)`,
      );
      this.leave();
      if (t.text === '(' && items.length === 1 && !this.trailingComma) return items[0]!;
      return { kind: 'tuple', pos: t.pos, items };
    }
    throw syntaxError(this.src, t.pos, 'expected an expression', `found ${describe(t)}`);
  }

  /** Set by `list`: whether the list just read ended with a comma (`(2,)` is a 1-tuple). */
  private trailingComma = false;

  /** Comma-separated arguments up to `close` (which is consumed); a trailing comma is allowed. */
  private list(close: string, context: string): Ast[] {
    const items: Ast[] = [];
    this.trailingComma = false;
    if (this.accept(close)) return items;
    for (;;) {
      if (items.length === MAX_ARGS) {
        throw syntaxError(
          this.src,
          this.peek().pos,
          'too many arguments',
          `more than ${MAX_ARGS} in one list (the limit MAX_FORMULA_ARGS)`,
        );
      }
      items.push(this.scal());
      if (this.accept(close)) {
        this.trailingComma = false;
        return items;
      }
      this.expect(',', `or '${close}' ${context}`);
      if (this.accept(close)) {
        this.trailingComma = true;
        return items;
      }
    }
  }
}

/** A number token as a syntax node; non-finite values (1e999) are errors. */
function numberNode(src: string, t: Token): Ast {
  const value = Number(t.text);
  if (!Number.isFinite(value)) {
    throw syntaxError(src, t.pos, 'number out of range', `'${short(t.text)}' is not a finite double`);
  }
  const isInt = /^[0-9]+$/.test(t.text);
  return { kind: 'num', pos: t.pos, text: t.text, value: value === 0 ? 0 : value, isInt };
}

function short(s: string): string {
  return s.length > 30 ? `${s.slice(0, 27)}...` : s;
}

/** A token as words for error messages. */
export function describe(t: Token): string {
  if (t.kind === 'end') return 'the end of the formula';
  if (t.kind === 'number') return `the number '${short(t.text)}'`;
  if (t.kind === 'ident') return `the name '${short(t.text)}'`;
  return `'${t.text}'`;
}

/** Parses one formula string to a syntax tree. */
export function parseAst(src: string): Ast {
  return new Parser(src).parseFormula();
}
