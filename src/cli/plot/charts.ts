/**
 * The charts of the command line, as SVG panels: point clouds in three orthographic projections
 * (with colours per point and segments between points), line charts (convergence curves) and
 * bar charts (timings).
 */
import type { FloatArray, NDArray } from '../../ndarray.js';
import { axes, esc, fmt, legend, PALETTE, type Panel, r2 } from './svg.js';

/** A cloud to draw: positions [N, D] (the first three coordinates are used), one colour or one per point. */
export interface CloudLayer {
  name: string;
  points: NDArray<FloatArray>;
  color: string;
  /** Per-point colours (overrides `color` for the markers). */
  colors?: string[];
  radius?: number;
  opacity?: number;
}

/** Segments between point pairs (e.g. an OT matching), drawn under the markers. */
export interface SegmentLayer {
  name: string;
  from: number[][];
  to: number[][];
  color: string;
}

const PROJECTIONS: [number, number, string][] = [
  [0, 1, 'x–y'],
  [0, 2, 'x–z'],
  [1, 2, 'y–z'],
];

function coord(p: NDArray<FloatArray>, i: number, k: number): number {
  const d = p.shape[1]!;
  return k < d ? p.data[i * d + k]! : 0;
}

/** At most `max` evenly spread indices of 0..n−1. */
export function subsample(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: max }, (_, k) => Math.floor((k * n) / max));
}

/**
 * Point clouds in orthographic projections (x–y, x–z, y–z; one panel for 2-D data), with a legend.
 * Every layer is subsampled to `maxPoints` markers.
 */
export function projections(clouds: CloudLayer[], segments: SegmentLayer[] = [], maxPoints = 2000): Panel {
  const dim = Math.max(...clouds.map((c) => c.points.shape[1]!));
  const views = dim >= 3 ? PROJECTIONS : [PROJECTIONS[0]!];
  const size = 260;
  const gap = 70;
  const out: string[] = [];
  views.forEach(([a, b, label], v) => {
    let lo = [Infinity, Infinity];
    let hi = [-Infinity, -Infinity];
    for (const c of clouds) {
      for (let i = 0; i < c.points.shape[0]!; i++) {
        const p = [coord(c.points, i, a), coord(c.points, i, b)];
        lo = [Math.min(lo[0]!, p[0]!), Math.min(lo[1]!, p[1]!)];
        hi = [Math.max(hi[0]!, p[0]!), Math.max(hi[1]!, p[1]!)];
      }
    }
    // Same scale on both axes (orthographic): square data box around the centre.
    const half = Math.max(hi[0]! - lo[0]!, hi[1]! - lo[1]!, 1e-12) * 0.55;
    const cx = (lo[0]! + hi[0]!) / 2;
    const cy = (lo[1]! + hi[1]!) / 2;
    const box = { x: 60 + v * (size + gap), y: 10, w: size, h: size };
    const names = ['x', 'y', 'z'];
    const ax = axes(box, [cx - half, cx + half], [cy - half, cy + half], {
      x: dim >= 3 || a < dim ? names[a]! : '',
      y: names[b]!,
    });
    out.push(ax.svg);
    out.push(
      `<text x="${box.x + size / 2}" y="${box.y - 2}" text-anchor="middle" font-size="11" fill="#555">${label}</text>`,
    );
    for (const s of segments) {
      const lines = s.from.map((f, k) => {
        const t = s.to[k]!;
        return `M${r2(ax.sx(f[a] ?? 0))} ${r2(ax.sy(f[b] ?? 0))}L${r2(ax.sx(t[a] ?? 0))} ${r2(ax.sy(t[b] ?? 0))}`;
      });
      out.push(
        `<path d="${lines.join('')}" stroke="${s.color}" stroke-width="0.6" stroke-opacity="0.6" fill="none"/>`,
      );
    }
    for (const c of clouds) {
      const r = c.radius ?? 1.6;
      const op = c.opacity ?? 0.8;
      const idx = subsample(c.points.shape[0]!, maxPoints);
      const dots = idx.map((i) => {
        const fill = c.colors ? ` fill="${c.colors[i]}"` : '';
        return `<circle cx="${r2(ax.sx(coord(c.points, i, a)))}" cy="${r2(ax.sy(coord(c.points, i, b)))}" r="${r}"${fill}/>`;
      });
      out.push(`<g fill="${c.color}" fill-opacity="${op}">${dots.join('')}</g>`);
    }
  });
  const width = 60 + views.length * (size + gap);
  const items = [
    ...clouds.map((c) => ({ name: c.name, color: c.color })),
    ...segments.map((s) => ({ name: s.name, color: s.color, line: true })),
  ];
  out.push(legend(items, 60, size + 64));
  return { width, height: size + 80, body: out.join('\n') };
}

/** A line chart of one or more series against their index (1-based), e.g. loss per iteration. */
export function lineChart(
  title: string,
  series: { name: string; values: number[] }[],
  labels: { x: string; y: string },
  opts: { logY?: boolean } = {},
): Panel {
  const all = series.flatMap((s) => s.values).filter((v) => Number.isFinite(v) && (!opts.logY || v > 0));
  const n = Math.max(1, ...series.map((s) => s.values.length));
  let lo = all.length ? Math.min(...all) : 0;
  let hi = all.length ? Math.max(...all) : 1;
  if (opts.logY) {
    lo = 10 ** Math.floor(Math.log10(lo));
    hi = 10 ** Math.ceil(Math.log10(hi));
    if (hi <= lo) hi = lo * 10;
  } else if (hi <= lo) {
    hi = lo + 1;
  }
  const box = { x: 70, y: 30, w: 520, h: 220 };
  const ax = axes(box, [1, Math.max(2, n)], [lo, hi], labels, opts);
  const out = [
    ax.svg,
    `<text x="${box.x + box.w / 2}" y="18" text-anchor="middle" font-weight="bold">${esc(title)}</text>`,
  ];
  series.forEach((s, k) => {
    const color = PALETTE[k % PALETTE.length]!;
    const pts = s.values
      .map((v, i) => [i + 1, v] as const)
      .filter(([, v]) => Number.isFinite(v) && (!opts.logY || v > 0))
      .map(([i, v]) => `${r2(ax.sx(i))},${r2(ax.sy(v))}`);
    out.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const p of pts) {
      const [x, y] = p.split(',');
      out.push(`<circle cx="${x}" cy="${y}" r="2.5" fill="${color}"/>`);
    }
  });
  out.push(
    legend(
      series.map((s, k) => ({ name: s.name, color: PALETTE[k % PALETTE.length]!, line: true })),
      box.x,
      box.y + box.h + 52,
    ),
  );
  return { width: box.x + box.w + 30, height: box.y + box.h + 66, body: out.join('\n') };
}

/** Horizontal bars with their values written at the end (e.g. timings per backend). */
export function barChart(title: string, bars: { label: string; value: number }[], unit: string): Panel {
  const rowH = 26;
  const box = { x: 150, y: 30, w: 400, h: rowH * bars.length };
  const max = Math.max(1e-300, ...bars.map((b) => b.value));
  const ax = axes(box, [0, max * 1.15], [0, 1], { x: unit, y: '' }, { yTicks: false });
  const out = [
    ax.svg,
    `<text x="${box.x + box.w / 2}" y="18" text-anchor="middle" font-weight="bold">${esc(title)}</text>`,
  ];
  bars.forEach((b, k) => {
    const y = box.y + k * rowH + 4;
    const w = Math.max(0, ax.sx(b.value) - box.x);
    out.push(
      `<rect x="${box.x}" y="${y}" width="${r2(w)}" height="${rowH - 8}" fill="${PALETTE[k % PALETTE.length]}"/>`,
    );
    out.push(`<text x="${box.x - 6}" y="${y + rowH / 2}" text-anchor="end">${esc(b.label)}</text>`);
    out.push(`<text x="${r2(box.x + w + 4)}" y="${y + rowH / 2}">${fmt(b.value)}</text>`);
  });
  return { width: box.x + box.w + 60, height: box.y + box.h + 50, body: out.join('\n') };
}
