/**
 * lazytensor/register: point-cloud registration by robust optimal transport (RobOT): rigid,
 * similarity, affine and non-rigid models, a global rotation search, per-point confidences.
 */
import '../formula/ops/index.js';

export type { RegisterOptions, RegistrationModel } from './options.js';
export { type RegistrationResult, type RegistrationTransform, register } from './register.js';
export { sampleSurface } from './surface.js';
