/**
 * The fixed C++ prelude of every generated translation unit: vectorisable exp, log, pow, sin, cos,
 * atan, atan2, asin and acos written as branch-free polynomials
 * (the loop vectoriser inlines them into SIMD code; no libm call, no -ffast-math needed), a few helpers with JavaScript semantics, the planner that turns dense or
 * block-sparse ranges into row chunks, and the parallel loop (OpenMP, or std::thread when the
 * compiler has no OpenMP). Constant text: nothing here depends on user input.
 *
 * The text lives in prelude/, one file per family, concatenated here in a fixed order (each part
 * may use the functions of the parts before it).
 */
import { PRELUDE_HEAD, PRELUDE_TAIL } from './prelude/core.js';
import { PRELUDE_EXP_LOG } from './prelude/exp-log.js';
import { PRELUDE_HELPERS } from './prelude/helpers.js';
import { PRELUDE_INVERSE_TRIG } from './prelude/inverse-trig.js';
import { PRELUDE_PARALLEL } from './prelude/parallel.js';
import { PRELUDE_POW } from './prelude/pow.js';
import { PRELUDE_TRIG32 } from './prelude/trig32.js';
import { PRELUDE_TRIG64 } from './prelude/trig64.js';

export const PRELUDE =
  PRELUDE_HEAD +
  PRELUDE_EXP_LOG +
  PRELUDE_POW +
  PRELUDE_INVERSE_TRIG +
  PRELUDE_TRIG32 +
  PRELUDE_TRIG64 +
  PRELUDE_HELPERS +
  PRELUDE_PARALLEL +
  PRELUDE_TAIL;
