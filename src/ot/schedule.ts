import { check } from '../errors.js';
import type { Cloud } from './input.js';

/**
 * Most ε values a schedule may have. Its length is about ln(diameter/blur)/(−ln scaling) + 2
 * (3.3·log10(diameter/blur) + 2 for GeomLoss' default scaling 0.5: a few dozen); the cap turns
 * a scaling too close to 1 into an error up front instead of a run of hours (every step costs
 * four N×M reductions).
 */
export const MAX_EPSILON_STEPS = 10000;

/** A number with 4 significant digits for messages (1414, 0.05, 1.798e+308). */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v) || (Number.isInteger(v) && Math.abs(v) < 1e15)) return String(v);
  const [m, e] = v.toPrecision(4).split('e') as [string, string?];
  const mant = m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '') : m;
  return e === undefined ? mant : `${mant}e${e}`;
}

/**
 * GeomLoss' ε-scaling schedule: [d^p] + exp(arange(p ln d, p ln blur, p ln scaling)) + [blur^p],
 * with NumPy's arange semantics (length ⌈(stop − start)/step⌉, values start + k·δ where δ is
 * the spacing of the first two values). Empty middle part when blur ≥ diameter. Throws when an
 * argument is out of range, when diameter^p or blur^p leaves float64's range, or when the
 * schedule would have more than MAX_EPSILON_STEPS values (checked before anything is allocated).
 */
export function epsilonSchedule(p: number, diameter: number, blur: number, scaling: number): number[] {
  const positive = (v: number, name: string) =>
    check(
      typeof v === 'number' && Number.isFinite(v) && v > 0,
      () => `${name} must be a finite number > 0, got ${String(v)}`,
    );
  positive(p, 'p');
  positive(diameter, 'diameter');
  positive(blur, 'blur');
  check(
    typeof scaling === 'number' && scaling > 0 && scaling < 1,
    () => `scaling must be a number in (0, 1), got ${String(scaling)}`,
  );
  checkPower('diameter', diameter, p);
  checkPower('blur', blur, p);
  const start = p * Math.log(diameter);
  const stop = p * Math.log(blur);
  const step = p * Math.log(scaling);
  const len = Math.max(0, Math.ceil((stop - start) / step));
  check(
    len + 2 <= MAX_EPSILON_STEPS,
    () =>
      `the ε-schedule from diameter ${formatNumber(diameter)} down to blur ${formatNumber(blur)} with scaling ${scaling} (p = ${p}) ` +
      `would have ${formatNumber(len + 2)} steps (about ln(diameter/blur)/(−ln scaling) + 2), more than the ` +
      `${MAX_EPSILON_STEPS} allowed: use a smaller scaling (GeomLoss' default is 0.5; at most ` +
      `${maxScaling(diameter, blur)} here) or a larger blur`,
  );
  const out = [diameter ** p];
  const delta = start + step - start;
  for (let k = 0; k < len; k++)
    out.push(Math.exp(k === 0 ? start : k === 1 ? start + step : start + k * delta));
  out.push(blur ** p);
  return out;
}

/**
 * Checks that v^p (an ε of the schedule, or ρ for the reach) and its inverse are finite and
 * positive in float64, with a message in the option's terms.
 */
export function checkPower(name: string, v: number, p: number): void {
  const e = v ** p;
  check(
    Number.isFinite(e),
    () =>
      `${name} = ${v} is too large: ${name}^p (p = ${p}) overflows float64; rescale the coordinates ` +
      `(divide x, y, blur, reach and diameter by the same factor)`,
  );
  check(
    e > 0 && Number.isFinite(1 / e),
    () =>
      `${name} = ${v} is too small: ${name}^p (p = ${p}) = ${e === 0 ? '0 (it underflows float64)' : formatNumber(e)}, ` +
      `whose inverse overflows float64; use ${name} ≥ ${formatNumber(Number.MAX_VALUE ** (-1 / p) * 1.001)} or rescale the coordinates`,
  );
}

/** The largest scaling whose schedule fits MAX_EPSILON_STEPS, rounded down to 6 decimals (for messages). */
function maxScaling(diameter: number, blur: number): number {
  const s = Math.exp(-Math.log(diameter / blur) / (MAX_EPSILON_STEPS - 3));
  return Math.floor(s * 1e6) / 1e6;
}

/**
 * Diameter of the joint bounding box of x and y (over all batches): the norm of its diagonal,
 * GeomLoss' default `diameter`.
 */
export function maxDiameter(x: Cloud, y: Cloud): number {
  const d = x.d;
  const lo = new Float64Array(d).fill(Number.POSITIVE_INFINITY);
  const hi = new Float64Array(d).fill(Number.NEGATIVE_INFINITY);
  for (const c of [x, y]) {
    const rows = c.B * c.n;
    for (let r = 0; r < rows; r++) {
      for (let k = 0; k < d; k++) {
        const v = c.data[r * d + k]!;
        if (v < lo[k]!) lo[k] = v;
        if (v > hi[k]!) hi[k] = v;
      }
    }
  }
  let s = 0;
  for (let k = 0; k < d; k++) s += (hi[k]! - lo[k]!) ** 2;
  return Math.sqrt(s);
}

/** Unbalanced damping factor 1 / (1 + ε/ρ) (1 for balanced OT, ρ = undefined). */
export function dampening(eps: number, rho: number | undefined): number {
  return rho === undefined ? 1 : 1 / (1 + eps / rho);
}

/** GeomLoss' log of weights: log(a), and −100000 where a ≤ 0 (never −Infinity, so no NaN). */
export function logWeights(a: ArrayLike<number>, out = new Float64Array(a.length)): Float64Array {
  for (let k = 0; k < a.length; k++) {
    const v = a[k]!;
    out[k] = v > 0 ? Math.log(v) : -100000;
  }
  return out;
}
