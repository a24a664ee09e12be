/**
 * The kernel language of the wasm backend: the C-like statement text every backend's shared
 * codegen produces (ops and reductions emit through a Dialect), plus the loops and memory builtins
 * of the kernel skeleton. This module parses that text (generated from the IR only, never user
 * text) into a small tree that `lower.ts` types and turns into WebAssembly instructions.
 *
 *   stmt := '{' stmt* '}' | 'if' '(' e ')' stmt ['else' stmt] | 'while' '(' e ')' stmt
 *         | 'for' '(' TYPE name '=' e ';' e ';' name ('=' | '+=' | '-=' | '*=') e ')' stmt
 *         | TYPE name '=' e ';' | name ('=' | '+=' | '-=' | '*=') e ';' | call ';'
 *   TYPE := val (compute type, or a vector when its value is one) | acc | int | vec
 *   e    := e '||' e | e '&&' e | e CMP e | e ('+'|'-') e | e ('*'|'/') e | ('-'|'!') e
 *         | number | name | name '(' e, ... ')' | '(' e ')'
 * Integer literals have neither '.' nor an exponent; `inf` is +Infinity. A `for` loop (the shared
 * component loops of large vector sums, common/loops.ts) parses into its declaration followed by a
 * `while` whose body ends with the step.
 */

export type Expr =
  | { k: 'num'; v: number; int: boolean }
  | { k: 'id'; name: string }
  | { k: 'un'; op: '-' | '!'; a: Expr }
  | { k: 'bin'; op: string; a: Expr; b: Expr }
  | { k: 'call'; fn: string; args: Expr[] };

export type DeclType = 'val' | 'acc' | 'int' | 'vec';

export type Stmt =
  | { k: 'block'; body: Stmt[] }
  | { k: 'if'; c: Expr; t: Stmt; e?: Stmt }
  | { k: 'while'; c: Expr; body: Stmt }
  | { k: 'decl'; ty: DeclType; name: string; init: Expr }
  | { k: 'set'; op: '=' | '+=' | '-=' | '*='; name: string; e: Expr }
  | { k: 'expr'; e: Expr };

const TOKEN =
  /\s*(?:(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(\+=|-=|\*=|<=|>=|==|!=|&&|\|\||[-+*/<>=!(){},;]))/y;
const DECL = new Set<string>(['val', 'acc', 'int', 'vec']);
const ASSIGN = new Set<string>(['=', '+=', '-=', '*=']);
const PREC: Record<string, number> = {
  '||': 1,
  '&&': 2,
  '==': 3,
  '!=': 3,
  '<': 3,
  '<=': 3,
  '>': 3,
  '>=': 3,
  '+': 4,
  '-': 4,
  '*': 5,
  '/': 5,
};

interface Tok {
  t: 'num' | 'id' | 'p';
  s: string;
}

function lex(src: string): Tok[] {
  const toks: Tok[] = [];
  TOKEN.lastIndex = 0;
  let pos = 0;
  for (;;) {
    const rest = /\s*/y;
    rest.lastIndex = pos;
    rest.exec(src);
    if (rest.lastIndex >= src.length) break;
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(src);
    if (!m) throw new Error(`internal: wasm kernel text: cannot read '${src.slice(pos, pos + 30)}'`);
    pos = TOKEN.lastIndex;
    if (m[1] !== undefined) toks.push({ t: 'num', s: m[1] });
    else if (m[2] !== undefined) toks.push({ t: 'id', s: m[2] });
    else toks.push({ t: 'p', s: m[3]! });
  }
  return toks;
}

/** Parses a sequence of statements. */
export function parseStatements(src: string): Stmt[] {
  const toks = lex(src);
  let p = 0;
  const peek = (): Tok | undefined => toks[p];
  const fail = (what: string): never => {
    const near = toks
      .slice(Math.max(0, p - 8), p + 4)
      .map((t) => t.s)
      .join(' ');
    throw new Error(`internal: wasm kernel text: expected ${what} near '${near}'`);
  };
  const eat = (s: string): void => {
    if (toks[p]?.s !== s) fail(`'${s}'`);
    p++;
  };
  const ident = (): string => {
    const t = toks[p];
    if (t?.t !== 'id') return fail('a name');
    p++;
    return t.s;
  };

  const primary = (): Expr => {
    const t = toks[p];
    if (!t) return fail('an expression');
    if (t.s === '(') {
      p++;
      const e = expr(0);
      eat(')');
      return e;
    }
    if (t.s === '-' || t.s === '!') {
      p++;
      return { k: 'un', op: t.s, a: primary() };
    }
    if (t.t === 'num') {
      p++;
      return { k: 'num', v: Number(t.s), int: !/[.eE]/.test(t.s) };
    }
    if (t.t === 'id') {
      p++;
      if (t.s === 'inf') return { k: 'num', v: Number.POSITIVE_INFINITY, int: false };
      if (peek()?.s === '(') {
        p++;
        const args: Expr[] = [];
        if (peek()?.s !== ')') {
          for (;;) {
            args.push(expr(0));
            if (peek()?.s !== ',') break;
            p++;
          }
        }
        eat(')');
        return { k: 'call', fn: t.s, args };
      }
      return { k: 'id', name: t.s };
    }
    return fail('an expression');
  };
  const expr = (minPrec: number): Expr => {
    let a = primary();
    for (;;) {
      const t = peek();
      const prec = t?.t === 'p' ? PREC[t.s] : undefined;
      if (prec === undefined || prec <= minPrec) return a;
      p++;
      const b = expr(prec);
      a = { k: 'bin', op: t!.s, a, b };
    }
  };

  /** `name op e` (no ';'). */
  const assignment = (): Stmt => {
    const name = ident();
    const op = toks[p]?.s;
    if (op === undefined || !ASSIGN.has(op)) return fail('an assignment');
    p++;
    return { k: 'set', op: op as '=' | '+=' | '-=' | '*=', name, e: expr(0) };
  };

  const stmt = (): Stmt => {
    const t = toks[p];
    if (!t) return fail('a statement');
    if (t.s === '{') {
      p++;
      const body: Stmt[] = [];
      while (peek()?.s !== '}') body.push(stmt());
      p++;
      return { k: 'block', body };
    }
    if (t.s === ';') {
      p++;
      return { k: 'block', body: [] };
    }
    if (t.s === 'if') {
      p++;
      eat('(');
      const c = expr(0);
      eat(')');
      const th = stmt();
      if (peek()?.s === 'else') {
        p++;
        return { k: 'if', c, t: th, e: stmt() };
      }
      return { k: 'if', c, t: th };
    }
    if (t.s === 'while') {
      p++;
      eat('(');
      const c = expr(0);
      eat(')');
      return { k: 'while', c, body: stmt() };
    }
    if (t.s === 'for') {
      p++;
      eat('(');
      const init = stmt();
      if (init.k !== 'decl') fail('a declaration');
      const c = expr(0);
      eat(';');
      const step = assignment();
      eat(')');
      const body = stmt();
      return { k: 'block', body: [init, { k: 'while', c, body: { k: 'block', body: [body, step] } }] };
    }
    if (t.t === 'id' && DECL.has(t.s) && toks[p + 1]?.t === 'id') {
      p++;
      const name = ident();
      eat('=');
      const init = expr(0);
      eat(';');
      return { k: 'decl', ty: t.s as DeclType, name, init };
    }
    if (t.t === 'id' && toks[p + 1]?.t === 'p' && ASSIGN.has(toks[p + 1]!.s)) {
      const set = assignment();
      eat(';');
      return set;
    }
    const e = expr(0);
    eat(';');
    return { k: 'expr', e };
  };

  const out: Stmt[] = [];
  while (p < toks.length) out.push(stmt());
  return out;
}
