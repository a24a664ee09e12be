/** SVG text building blocks: escaping, number formatting, nice axis ticks. */

/** Escapes text for SVG content and attribute values. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A short, readable number (3 significant digits, exponent when tiny or huge). */
export function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1).replace('e+', 'e');
  return String(Number(v.toPrecision(3)));
}

/** Coordinates in SVG: at most two decimals. */
export function r2(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/** About `count` round tick values covering [lo, hi]. */
export function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step)
    out.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  return out;
}

/** A categorical palette readable on white (colour-blind friendly, Okabe–Ito). */
export const PALETTE = [
  '#0072B2',
  '#D55E00',
  '#009E73',
  '#CC79A7',
  '#E69F00',
  '#56B4E9',
  '#000000',
  '#F0E442',
];

/** A part of a figure: its size and SVG content drawn in [0, width] × [0, height]. */
export interface Panel {
  width: number;
  height: number;
  body: string;
}

/** Stacks panels vertically under a title into one SVG document. */
export function document(title: string, panels: Panel[]): string {
  const width = Math.max(...panels.map((p) => p.width));
  let y = 40;
  const parts: string[] = [];
  for (const p of panels) {
    parts.push(`<g transform="translate(0,${y})">${p.body}</g>`);
    y += p.height;
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y + 10}" viewBox="0 0 ${width} ${y + 10}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="26" text-anchor="middle" font-size="16" font-weight="bold">${esc(title)}</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

/** A legend row: coloured markers and names. */
export function legend(
  items: { name: string; color: string; line?: boolean }[],
  x: number,
  y: number,
): string {
  let at = x;
  const out: string[] = [];
  for (const it of items) {
    out.push(
      it.line
        ? `<line x1="${at}" y1="${y - 4}" x2="${at + 14}" y2="${y - 4}" stroke="${it.color}" stroke-width="2"/>`
        : `<circle cx="${at + 5}" cy="${y - 4}" r="4" fill="${it.color}"/>`,
    );
    out.push(`<text x="${at + 18}" y="${y}">${esc(it.name)}</text>`);
    at += 30 + 7 * it.name.length;
  }
  return out.join('');
}

/** Axes with ticks and labels around a plot box; returns the SVG and the data → pixel maps. */
export function axes(
  box: { x: number; y: number; w: number; h: number },
  xr: [number, number],
  yr: [number, number],
  labels: { x: string; y: string },
  opts: { logY?: boolean; yTicks?: boolean } = {},
): { svg: string; sx: (v: number) => number; sy: (v: number) => number } {
  const ty = (v: number) => (opts.logY ? Math.log10(v) : v);
  const [y0, y1] = [ty(yr[0]), ty(yr[1])];
  const sx = (v: number) => box.x + ((v - xr[0]) / (xr[1] - xr[0] || 1)) * box.w;
  const sy = (v: number) => box.y + box.h - ((ty(v) - y0) / (y1 - y0 || 1)) * box.h;
  const out: string[] = [
    `<rect x="${box.x}" y="${box.y}" width="${box.w}" height="${box.h}" fill="none" stroke="#444"/>`,
  ];
  for (const t of ticks(xr[0], xr[1])) {
    const px = r2(sx(t));
    out.push(`<line x1="${px}" y1="${box.y + box.h}" x2="${px}" y2="${box.y + box.h + 4}" stroke="#444"/>`);
    out.push(
      `<text x="${px}" y="${box.y + box.h + 16}" text-anchor="middle" font-size="10">${fmt(t)}</text>`,
    );
  }
  const yt = opts.logY
    ? ticks(Math.floor(y0), Math.ceil(y1), Math.max(1, Math.min(6, Math.ceil(y1) - Math.floor(y0))))
        .filter((t) => Number.isInteger(t) && t >= y0 - 1e-9 && t <= y1 + 1e-9)
        .map((t) => 10 ** t)
    : ticks(yr[0], yr[1]);
  for (const t of opts.yTicks === false ? [] : yt) {
    const py = r2(sy(t));
    out.push(`<line x1="${box.x - 4}" y1="${py}" x2="${box.x}" y2="${py}" stroke="#444"/>`);
    out.push(`<text x="${box.x - 6}" y="${py}" dy="3" text-anchor="end" font-size="10">${fmt(t)}</text>`);
  }
  out.push(
    `<text x="${box.x + box.w / 2}" y="${box.y + box.h + 32}" text-anchor="middle">${esc(labels.x)}</text>`,
  );
  out.push(
    `<text transform="translate(${box.x - 50},${box.y + box.h / 2}) rotate(-90)" text-anchor="middle">${esc(labels.y)}</text>`,
  );
  return { svg: out.join('\n'), sx, sy };
}
