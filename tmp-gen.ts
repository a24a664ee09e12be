import { generateCuda } from './src/backends/cuda/codegen.js';
import { op, Var } from './src/formula/index.js';
import { buildSpec } from './src/kernel/spec.js';
const D = Number(process.argv[2] ?? 784);
const dtype = (process.argv[3] ?? 'float32') as 'float32';
const gemm = process.argv[4] !== 'off';
const x = Var(0, D, 'i'), y = Var(1, D, 'j');
const spec = buildSpec({ formula: op('SqDist', [x, y]), kind: 'ArgKMin', k: 10, axis: 'j', dtype }).spec;
process.stdout.write(generateCuda(spec, { gemm, fastMath: true }).sources.main);
