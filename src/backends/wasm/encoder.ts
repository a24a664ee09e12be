/**
 * A small encoder of the WebAssembly binary format (MVP + SIMD128): LEB128 integers, IEEE
 * constants, the sections this backend needs (type, import, function, memory, export, code).
 * Instructions are written by `Body` (one function's code); `encodeModule` assembles a module.
 */

/** Value types. */
export const T = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b } as const;
export type ValType = (typeof T)[keyof typeof T];

/** A growable byte buffer with the primitive encodings of the binary format. */
export class Bytes {
  private buf = new Uint8Array(256);
  length = 0;

  byte(b: number): this {
    if (this.length === this.buf.length) {
      const next = new Uint8Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = b & 0xff;
    return this;
  }

  bytes(bs: ArrayLike<number>): this {
    for (let k = 0; k < bs.length; k++) this.byte(bs[k]!);
    return this;
  }

  /** Unsigned LEB128. */
  u32(v: number): this {
    let x = v >>> 0;
    do {
      const b = x & 0x7f;
      x >>>= 7;
      this.byte(x === 0 ? b : b | 0x80);
    } while (x !== 0);
    return this;
  }

  /** Signed LEB128 of a 32-bit integer. */
  s32(v: number): this {
    let x = v | 0;
    for (;;) {
      const b = x & 0x7f;
      x >>= 7;
      if ((x === 0 && (b & 0x40) === 0) || (x === -1 && (b & 0x40) !== 0)) return this.byte(b);
      this.byte(b | 0x80);
    }
  }

  f32(v: number): this {
    const a = new Uint8Array(new Float32Array([v]).buffer);
    return this.bytes(a);
  }

  f64(v: number): this {
    const a = new Uint8Array(new Float64Array([v]).buffer);
    return this.bytes(a);
  }

  name(s: string): this {
    const u = new TextEncoder().encode(s);
    return this.u32(u.length).bytes(u);
  }

  /** A length-prefixed copy of another buffer. */
  sized(b: Bytes): this {
    return this.u32(b.length).bytes(b.toArray());
  }

  toArray(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/**
 * The v128 constants of one function held in locals: `Body.v128` with a pool reads the constant's
 * local, and `prologue` sets every local once at the function's start. Loop-invariant by
 * construction, so an engine that would re-materialise a v128.const in each iteration of a loop
 * (V8's Turboshaft: three x64 instructions per constant) keeps them in registers or spill slots.
 */
export class ConstPool {
  private readonly slots = new Map<string, { bytes: Uint8Array; local: number }>();
  constructor(private readonly newLocal: () => number) {}
  local(bytes: Uint8Array): number {
    const key = bytes.join(',');
    let s = this.slots.get(key);
    if (!s) {
      s = { bytes: bytes.slice(), local: this.newLocal() };
      this.slots.set(key, s);
    }
    return s.local;
  }
  /** Sets every pooled local (code to put before the function's body). */
  prologue(): Body {
    const b = new Body();
    for (const s of this.slots.values()) b.simd(0x0c).bytes(s.bytes).set(s.local);
    return b;
  }
}

/** One function's instructions (the opcodes used by the lowering; SIMD through `simd`). */
export class Body extends Bytes {
  /** Where v128 constants go (see ConstPool); inline v128.const without one. */
  pool: ConstPool | undefined;
  /** A v128 constant of 16 bytes: a read of its pooled local, or v128.const. */
  v128(bytes: Uint8Array): this {
    if (this.pool) return this.get(this.pool.local(bytes));
    return this.simd(0x0c).bytes(bytes);
  }
  op(code: number): this {
    return this.byte(code);
  }
  /** A 0xFD-prefixed SIMD instruction. */
  simd(code: number): this {
    return this.byte(0xfd).u32(code);
  }
  /** A memory instruction with its alignment (log2) and offset. */
  mem(code: number, alignLog2: number, offset = 0): this {
    return this.byte(code).u32(alignLog2).u32(offset);
  }
  simdMem(code: number, alignLog2: number, offset = 0): this {
    return this.simd(code).u32(alignLog2).u32(offset);
  }
  i32c(v: number): this {
    return this.byte(0x41).s32(v);
  }
  f32c(v: number): this {
    return this.byte(0x43).f32(v);
  }
  f64c(v: number): this {
    return this.byte(0x44).f64(v);
  }
  get(l: number): this {
    return this.byte(0x20).u32(l);
  }
  set(l: number): this {
    return this.byte(0x21).u32(l);
  }
  tee(l: number): this {
    return this.byte(0x22).u32(l);
  }
  call(f: number): this {
    return this.byte(0x10).u32(f);
  }
}

/** A function type. */
export interface FuncType {
  params: readonly ValType[];
  results: readonly ValType[];
}

/** A function defined in the module: its type, extra locals (in order) and body (without `end`). */
export interface FuncDef {
  type: FuncType;
  locals: readonly ValType[];
  body: Body;
  /** Exported under this name when given. */
  export?: string;
}

/** An imported function. */
export interface FuncImport {
  module: string;
  name: string;
  type: FuncType;
}

/**
 * An imported memory (module.name): `pages` initial pages, at most `maxPages`; `shared` makes it a
 * shared memory (threads proposal: the importer passes a WebAssembly.Memory made with
 * `shared: true`, whose maximum must not exceed `maxPages`).
 */
export interface MemoryImport {
  module: string;
  name: string;
  pages: number;
  maxPages: number;
  shared: boolean;
}

/**
 * Assembles a module: imported functions first (indices 0..), then defined ones; one memory:
 * `memory` initial pages of its own, exported as "memory", or an imported memory.
 */
export function encodeModule(
  imports: readonly FuncImport[],
  funcs: readonly FuncDef[],
  memory: number | MemoryImport,
): Uint8Array {
  const memImport = typeof memory === 'number' ? undefined : memory;
  const types: FuncType[] = [];
  const typeKeys: string[] = [];
  const typeIndex = (t: FuncType): number => {
    const key = `${t.params.join(',')}>${t.results.join(',')}`;
    let k = typeKeys.indexOf(key);
    if (k < 0) {
      k = types.length;
      types.push(t);
      typeKeys.push(key);
    }
    return k;
  };
  const impTypes = imports.map((f) => typeIndex(f.type));
  const fnTypes = funcs.map((f) => typeIndex(f.type));

  const out = new Bytes().bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  const section = (id: number, fill: (b: Bytes) => void) => {
    const b = new Bytes();
    fill(b);
    out.byte(id).sized(b);
  };
  section(1, (b) => {
    b.u32(types.length);
    for (const t of types) {
      b.byte(0x60).u32(t.params.length).bytes(t.params).u32(t.results.length).bytes(t.results);
    }
  });
  if (imports.length > 0 || memImport) {
    section(2, (b) => {
      b.u32(imports.length + (memImport ? 1 : 0));
      imports.forEach((f, k) => b.name(f.module).name(f.name).byte(0x00).u32(impTypes[k]!));
      if (memImport) {
        // Limits flags: 1 = min and max, 3 = min, max and shared.
        b.name(memImport.module).name(memImport.name).byte(0x02);
        b.byte(memImport.shared ? 0x03 : 0x01)
          .u32(memImport.pages)
          .u32(memImport.maxPages);
      }
    });
  }
  section(3, (b) => {
    b.u32(funcs.length);
    for (const t of fnTypes) b.u32(t);
  });
  if (!memImport)
    section(5, (b) =>
      b
        .u32(1)
        .byte(0x00)
        .u32(memory as number),
    );
  const exported = funcs.map((f, k) => ({ f, k })).filter((e) => e.f.export !== undefined);
  section(7, (b) => {
    b.u32(exported.length + (memImport ? 0 : 1));
    if (!memImport) b.name('memory').byte(0x02).u32(0);
    for (const { f, k } of exported)
      b.name(f.export!)
        .byte(0x00)
        .u32(imports.length + k);
  });
  section(10, (b) => {
    b.u32(funcs.length);
    for (const f of funcs) {
      const body = new Bytes();
      // Locals, run-length encoded.
      const runs: { n: number; t: ValType }[] = [];
      for (const t of f.locals) {
        const last = runs[runs.length - 1];
        if (last && last.t === t) last.n++;
        else runs.push({ n: 1, t });
      }
      body.u32(runs.length);
      for (const r of runs) body.u32(r.n).byte(r.t);
      body.bytes(f.body.toArray()).byte(0x0b);
      b.sized(body);
    }
  });
  return out.toArray();
}
