/**
 * lazytensor/ot: optimal transport on the engine's reductions (GeomLoss conventions and units).
 * - samplesLoss: Sinkhorn divergences, Hausdorff, kernel losses, with explicit gradients;
 * - exact OT: network simplex on dense costs, 1-D OT by sorting, sliced Wasserstein;
 * - closed forms used by the tests (entropic OT between 1-D Gaussians).
 */
import '../formula/ops/index.js';

export {
  type BarycenterMeasure,
  type BarycenterOptions,
  type BarycenterResult,
  barycenter,
} from './barycenter.js';
export { entropicGaussianOT1D, sinkhornDivergenceGaussian1D } from './closedForm.js';
export type { Cost, CostFunction } from './cost.js';
export { type ExactOTResult, type NetworkSimplexOptions, networkSimplex } from './exact/networkSimplex.js';
export { type OneDOptions, type OneDResult, wasserstein1D } from './exact/oneD.js';
export { type ExactOTOptions, exactOT } from './exact/points.js';
export { type SlicedOptions, type SlicedResult, slicedWasserstein } from './exact/sliced.js';
export type { SparsePlan } from './exact/sparsePlan.js';
export { type ImagesLossOptions, type ImagesLossResult, imagesLoss } from './images.js';
export { type ImagesBarycenterOptions, imagesBarycenter } from './imagesBarycenter.js';
export type { PointsInput, WeightsInput } from './input.js';
export type { LossName, OTBackend, SamplesLossOptions } from './options.js';
export type { PairOps } from './pairs.js';
export { LazyPlan } from './plan.js';
export type { PairFactory, SinkhornProblem } from './problem.js';
export type { Convergence, LevelReport, SamplesLossResult, SamplesLossValue } from './result.js';
export { AUTO_TENSORIZED_LIMIT, type OTBackendImpl, registerOTBackend, samplesLoss } from './samplesLoss.js';
export { epsilonSchedule, MAX_EPSILON_STEPS } from './schedule.js';
export { type OTResult, type SolveOTOptions, solveOT } from './solve.js';

import { multiscaleSamples } from './multiscale.js';
import { registerOTBackend } from './samplesLoss.js';

registerOTBackend('multiscale', multiscaleSamples);
