/**
 * Optional WebAssembly features the kernels use when the runtime validates them. Relaxed SIMD
 * (fused multiply-add, f32x4/f64x2.relaxed_madd) is on by default in Chromium 114+ and Node 22+;
 * Node 20 needs --experimental-wasm-relaxed-simd. Kernels without it use SIMD128 only.
 */

let relaxed: boolean | undefined;
let forced: boolean | undefined;

/** The smallest module with f32x4.relaxed_madd: (func (result v128) (v128.const 0) x3 relaxed_madd). */
function relaxedProbe(): Uint8Array {
  const zero = [0xfd, 12, ...new Array<number>(16).fill(0)];
  const body = [0, ...zero, ...zero, ...zero, 0xfd, 0x85, 0x02, 0x0b];
  return new Uint8Array([
    0,
    97,
    115,
    109,
    1,
    0,
    0,
    0,
    1,
    5,
    1,
    96,
    0,
    1,
    123,
    3,
    2,
    1,
    0,
    10,
    body.length + 2,
    1,
    body.length,
    ...body,
  ]);
}

/** True when kernels may use relaxed SIMD's fused multiply-add (the runtime validates it). */
export function relaxedSimd(): boolean {
  if (forced !== undefined) return forced;
  if (relaxed === undefined) {
    const W = (globalThis as { WebAssembly?: { validate(b: Uint8Array): boolean } }).WebAssembly;
    try {
      relaxed = W?.validate(relaxedProbe()) === true;
    } catch {
      relaxed = false;
    }
  }
  return relaxed;
}

/**
 * Testing knob: `false` makes kernels generated from now on use SIMD128 only, `true` claims relaxed
 * SIMD (modules then validate only where the runtime has it), `undefined` restores detection.
 * Kernels already compiled (cached by spec key) keep their code.
 */
export function setRelaxedSimd(on: boolean | undefined): void {
  forced = on;
}
