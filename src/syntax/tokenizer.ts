import { MAX_FORMULA_LENGTH } from '../limits.js';
import { syntaxError } from './errors.js';

/** Longest formula string accepted (characters): see src/limits.ts. */
export { MAX_FORMULA_LENGTH };

/** Token kinds of KeOps formula syntax. */
export type TokenKind = 'ident' | 'number' | 'punct' | 'end';

/** One token: its kind, its text and its offset (0-based) in the source. */
export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly pos: number;
}

/** Single- and two-character operators and delimiters. `**` is Python's power, a synonym of `^`. */
const PUNCT = new Set(['(', ')', '[', ']', ',', '+', '-', '*', '/', '|', '^', '=']);

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || isDigit(c);
}
function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

function describeChar(ch: string): string {
  const code = ch.codePointAt(0)!;
  return code >= 0x20 && code < 0x7f ? `'${ch}'` : `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Splits a formula into tokens: identifiers `[A-Za-z_][A-Za-z0-9_]*`, unsigned decimal numbers
 * (`12`, `0.5`, `.5`, `1e-3`, `2.`), the operators `+ - * / | ^ **`, `=` (aliases only), and the
 * delimiters `( ) [ ] ,`. Spaces, tabs and newlines separate tokens. Any other character is an
 * error naming its position. The last token is always `end`.
 */
export function tokenize(src: string): Token[] {
  if (typeof src !== 'string') {
    throw syntaxError('', 0, 'expected a formula string', `got ${src === null ? 'null' : typeof src}`);
  }
  if (src.length > MAX_FORMULA_LENGTH) {
    throw syntaxError(
      src.slice(0, 40),
      0,
      'formula too long',
      `${src.length} characters, over the limit MAX_FORMULA_LENGTH = ${MAX_FORMULA_LENGTH}`,
    );
  }
  const out: Token[] = [];
  const n = src.length;
  let k = 0;
  while (k < n) {
    const c = src.charCodeAt(k);
    if (isSpace(c)) {
      k++;
      continue;
    }
    const start = k;
    if (isIdentStart(c)) {
      while (k < n && isIdentPart(src.charCodeAt(k))) k++;
      out.push({ kind: 'ident', text: src.slice(start, k), pos: start });
      continue;
    }
    if (isDigit(c) || (c === 46 && k + 1 < n && isDigit(src.charCodeAt(k + 1)))) {
      while (k < n && isDigit(src.charCodeAt(k))) k++;
      if (k < n && src.charCodeAt(k) === 46) {
        k++;
        while (k < n && isDigit(src.charCodeAt(k))) k++;
      }
      const e = src.charCodeAt(k);
      if (k < n && (e === 101 || e === 69)) {
        let m = k + 1;
        const s = src.charCodeAt(m);
        if (s === 43 || s === 45) m++;
        if (m < n && isDigit(src.charCodeAt(m))) {
          k = m;
          while (k < n && isDigit(src.charCodeAt(k))) k++;
        } else {
          throw syntaxError(
            src,
            m,
            'malformed number',
            `expected digits after the exponent of '${src.slice(start, m)}'`,
          );
        }
      }
      if (k < n && (isIdentStart(src.charCodeAt(k)) || src.charCodeAt(k) === 46)) {
        throw syntaxError(
          src,
          k,
          'malformed number',
          `unexpected ${describeChar(src[k]!)} after '${src.slice(start, k)}'`,
        );
      }
      out.push({ kind: 'number', text: src.slice(start, k), pos: start });
      continue;
    }
    if (c === 42 && src.charCodeAt(k + 1) === 42) {
      out.push({ kind: 'punct', text: '**', pos: start });
      k += 2;
      continue;
    }
    const ch = src[k]!;
    if (PUNCT.has(ch)) {
      out.push({ kind: 'punct', text: ch, pos: start });
      k++;
      continue;
    }
    const cp = src.codePointAt(k)!;
    throw syntaxError(
      src,
      k,
      'unexpected character',
      `${describeChar(String.fromCodePoint(cp))} is not part of KeOps formula syntax`,
    );
  }
  out.push({ kind: 'end', text: '', pos: n });
  return out;
}
