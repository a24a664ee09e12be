import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LazyTensorError } from '../../src/errors.js';
import { genred } from '../../src/genred.js';
import { MAX_DEPTH, parseFormula, printFormula } from '../../src/syntax/index.js';

const AL = ['x = Vi(3)', 'y = Vj(3)', 's = Vi(1)', 't = Vj(1)', 'g = Pm(1)'];

/** Parses; returns 'ok' or 'error' and fails on anything but a LazyTensorError. */
function outcome(f: string, aliases: string[] = AL): 'ok' | 'error' {
  try {
    parseFormula(f, aliases);
    return 'ok';
  } catch (e) {
    if (!(e instanceof LazyTensorError)) throw e;
    expect(e.message).toMatch(/at position \d+ in '/);
    return 'error';
  }
}

const HOSTILE_CHARS = [
  ...'xyzstgab0123456789.eE+-*/|^()[],= \t\n',
  ...';\'"`$\\{}<>!&%#@~?:_',
  'é',
  '\u0000',
  '\u2028',
  '😀',
  'Exp',
  'Var',
  'Vi',
  'Grad',
];

const TOKENS = [
  'x',
  'y',
  's',
  'g',
  'Exp(',
  'Log(',
  'SqDist(',
  'Sum(',
  'Pow(',
  'Elem(',
  'Var(',
  'Vi(',
  'Pm(',
  'Grad(',
  'IntCst(',
  'Zero(',
  'TensorDot(',
  '(',
  ')',
  '[',
  ']',
  ',',
  '+',
  '-',
  '*',
  '/',
  '|',
  '^',
  '**',
  '0',
  '1',
  '2',
  '3',
  '0.5',
  '1e-3',
  '1e309',
  '9'.repeat(400),
  '2147483648',
  '-1',
  ' ',
  'process',
  '.exit(1)',
  'process.exit(1)',
  'globalThis',
  'globalThis.__lt_pwned=1',
  'constructor',
  '__proto__',
  'toString',
  'hasOwnProperty',
  "require('child_process')",
  'eval',
  'Function',
  'this',
  '`',
  '${',
  '}',
  ';',
  '=',
  '"',
  "'",
  '\\',
];

describe('parser fuzzing: every input parses or throws a positioned LazyTensorError', () => {
  it('random strings from a hostile alphabet', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...HOSTILE_CHARS), { maxLength: 60 }), (chars) => {
        outcome(chars.join(''));
      }),
      { numRuns: 1500, seed: 12345 },
    );
  });
  it('random token soups', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 40 }), (toks) => {
        outcome(toks.join(''));
        outcome(toks.join(' '));
      }),
      { numRuns: 1500, seed: 777 },
    );
  });
  it('arbitrary unicode strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (s) => {
        outcome(s);
      }),
      { numRuns: 500, seed: 99 },
    );
  });
  it('random alias strings', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...HOSTILE_CHARS, '=', 'Vi(', 'Vj(', 'Var(', 'Pm(', '3', ','), {
          maxLength: 20,
        }),
        (chars) => {
          outcome('x', [chars.join('')]);
        },
      ),
      { numRuns: 800, seed: 4242 },
    );
  });
  it('huge and tiny numbers', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.double({ noNaN: true }).map((v) => String(v)),
          fc.nat({ max: 2000 }).map((n) => `1e${n}`),
          fc.nat({ max: 2000 }).map((n) => `${'9'.repeat(n + 1)}`),
          fc.nat({ max: 2000 }).map((n) => `0.${'0'.repeat(n)}1`),
          fc.nat({ max: 400 }).map((n) => `1e-${n}`),
        ),
        (num) => {
          const value = Number(num.replace(/^-/, ''));
          const r = outcome(`x * ${num}`);
          if (Number.isFinite(value) && !/Infinity|NaN/.test(num)) expect(r).toBe('ok');
          else expect(r).toBe('error');
        },
      ),
      { numRuns: 400, seed: 5 },
    );
  });
});

describe('deep nesting is bounded with a clear error', () => {
  const shapes: [string, (n: number) => string][] = [
    ['parentheses', (n) => `${'('.repeat(n)}x${')'.repeat(n)}`],
    ['calls', (n) => `${'Exp('.repeat(n)}x${')'.repeat(n)}`],
    ['signs', (n) => `${'-'.repeat(n)}x`],
    ['tuples', (n) => `${'['.repeat(n)}1${']'.repeat(n)}`],
  ];
  for (const [name, make] of shapes) {
    it(name, () => {
      expect(outcome(make(MAX_DEPTH))).toBe(name === 'tuples' ? 'error' : 'ok');
      // 15,000 levels: about as deep as the length limit (MAX_FORMULA_LENGTH) allows for every shape.
      for (const n of [MAX_DEPTH + 1, 5000, 15_000]) {
        expect(() => parseFormula(make(n), AL)).toThrow(
          /formula nested too deeply at position \d+ .*more than 500 levels/,
        );
      }
    });
  }
  it('power towers', () => {
    expect(() => parseFormula(`x${'^x'.repeat(5000)}`, AL)).toThrow(/nested too deeply/);
  });
  it('very long argument lists and tuples are bounded', () => {
    expect(() => parseFormula(`Exp(${'x,'.repeat(20_000)}x)`, AL)).toThrow(
      /too many arguments .*more than 10000/,
    );
    expect(() => parseFormula(`TensorDot(x, y, (${'1,'.repeat(20_000)}1), (3,), (0,), (0,))`, AL)).toThrow(
      /too many arguments/,
    );
    expect(() => parseFormula(`Exp(${'x,'.repeat(5000)}x)`, AL)).toThrow(
      /Exp expects 1 argument\(s\): a formula; got 5001/,
    );
  });
  it('long operator chains are fine (no recursion on their length)', () => {
    const n = parseFormula(`${'x + '.repeat(24_000)}y`, AL).node;
    expect(n.op).toBe('Add');
    const m = parseFormula(`${'s * '.repeat(8_000)}t`, AL).node; // printed back within MAX_FORMULA_LENGTH
    expect(m.dim).toBe(1);
    expect(parseFormula(printFormula(m), AL).node).toBe(m);
  });
  it('random nesting mixes', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('(', 'Exp(', '-', 'Sum(', '['), { maxLength: 700 }), (opens) => {
        const close = opens
          .filter((o) => o !== '-')
          .map((o) => (o === '[' ? ']' : ')'))
          .reverse()
          .join('');
        outcome(`${opens.join('')}x${close}`);
      }),
      { numRuns: 200, seed: 31 },
    );
  });
});

describe('nothing in the text is ever executed', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    delete (globalThis as Record<string, unknown>).__lt_pwned;
  });
  const attacks = [
    'process.exit(1)',
    'x + process.exit(1)',
    'globalThis.__lt_pwned=1',
    '__lt_pwned = 1',
    'x; globalThis.__lt_pwned = 1',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a hostile template literal on purpose
    '`${globalThis.__lt_pwned = 1}`',
    'constructor.constructor("globalThis.__lt_pwned=1")()',
    'x.constructor',
    "require('child_process').execSync('touch /tmp/lt_pwned')",
    'Exp(x) /* */ + 1',
    '(() => { globalThis.__lt_pwned = 1 })()',
    '__proto__(x)',
    'toString(x)',
    'constructor(x)',
    'eval("1")',
    'Function("return 1")()',
  ];
  for (const a of attacks) {
    it(JSON.stringify(a), () => {
      const exit = vi.spyOn(process, 'exit').mockImplementation((() => {
        throw new Error('process.exit was called');
      }) as never);
      expect(() => parseFormula(a, AL)).toThrow(LazyTensorError);
      expect(() => genred(a, AL, 'Sum')).toThrow(LazyTensorError);
      expect(exit).not.toHaveBeenCalled();
      expect((globalThis as Record<string, unknown>).__lt_pwned).toBeUndefined();
    });
  }
  it('alias names that collide with Object.prototype members are plain names', () => {
    const r = parseFormula('constructor + __proto__ + toString', [
      'constructor = Vi(3)',
      '__proto__ = Vj(3)',
      'toString = Vi(1)',
    ]);
    expect(r.node.dim).toBe(3);
    expect(r.variables.map((v) => v.name)).toEqual(['constructor', '__proto__', 'toString']);
  });
});

describe('random well-formed formulas round-trip through the printer', () => {
  const leaf = fc.constantFrom('x', 'y', 's', 't', 'g', '2', '0.5', '1e-3', '-3', 'IntCst(4)');
  const formula = fc.letrec<{ f: string }>((tie) => ({
    f: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc
        .tuple(
          fc.constantFrom('Exp', 'Log', 'Sqrt', 'Abs', 'Sin', 'Cos', 'Square', 'Minus', 'Sum', 'SqNorm2'),
          tie('f'),
        )
        .map(([o, a]) => `${o}(${a})`),
      fc
        .tuple(tie('f'), fc.constantFrom(' + ', ' - ', '*', '/', ' | '), tie('f'))
        .map(([a, o, b]) => `${a}${o}${b}`),
      fc
        .tuple(tie('f'), fc.constantFrom('+', '-', '*', '/'), tie('f'))
        .map(([a, o, b]) => `(${a})${o}(${b})`),
      tie('f').map((a) => `-${a}`),
      fc.tuple(tie('f'), fc.integer({ min: -3, max: 4 })).map(([a, k]) => `(${a})^${k}`),
      fc.tuple(tie('f'), tie('f')).map(([a, b]) => `SqDist(${a}, ${b})`),
      tie('f').map((a) => `Elem(${a}, 0)`),
      fc.tuple(tie('f'), tie('f')).map(([a, b]) => `Concat(${a}, ${b})`),
    ),
  })).f;

  it('print(parse(s)) parses to the same node, literals included', () => {
    let parsed = 0;
    fc.assert(
      fc.property(formula, (f) => {
        let r: ReturnType<typeof parseFormula>;
        try {
          r = parseFormula(f, AL);
        } catch (e) {
          // Dimension mismatches of random operands: still a positioned LazyTensorError.
          expect(e).toBeInstanceOf(LazyTensorError);
          return;
        }
        parsed++;
        expect(parseFormula(printFormula(r.node), AL).node).toBe(r.node);
        // With names and literal values printed: literals removed by simplification (x^0) vanish and
        // the others are renumbered, so compare the texts with the values substituted.
        const names = new Map(r.variables.map((v) => [v.node, v.name!]));
        const literals = new Map(r.literals.map((l) => [l.node, l.value]));
        const text = printFormula(r.node, { names, literals });
        const back = parseFormula(text, AL);
        const backLiterals = new Map(back.literals.map((l) => [l.node, l.value]));
        expect(printFormula(back.node, { names, literals: backLiterals })).toBe(text);
      }),
      { numRuns: 400, seed: 2024 },
    );
    expect(parsed).toBeGreaterThan(100);
  });
});
