/** Draws the two clouds (orthographic view, slightly from above) and the segments of a result. */

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22'];
const YAW = (-25 * Math.PI) / 180;
const PITCH = (15 * Math.PI) / 180;

export interface Drawing {
  x: Float64Array;
  y: Float64Array;
  labels?: Int32Array;
  pairs?: Int32Array;
}

function project(a: Float64Array, i: number, w: number, h: number): [number, number] {
  const [px, py, pz] = [a[3 * i]!, a[3 * i + 1]!, a[3 * i + 2]!];
  const u = Math.cos(YAW) * px + Math.sin(YAW) * pz;
  const depth = -Math.sin(YAW) * px + Math.cos(YAW) * pz;
  const v = Math.cos(PITCH) * py - Math.sin(PITCH) * depth;
  const s = Math.min(w, h) / 2.3;
  return [w / 2 + s * (u - 0.2), h / 2 - s * v];
}

export function draw(canvas: HTMLCanvasElement, d: Drawing): void {
  const g = canvas.getContext('2d');
  if (!g) return;
  const { width: w, height: h } = canvas;
  g.clearRect(0, 0, w, h);
  if (d.pairs) {
    g.strokeStyle = 'rgba(90, 90, 90, 0.35)';
    g.beginPath();
    for (let k = 0; k < d.pairs.length; k += 2 * 4) {
      const [ax, ay] = project(d.x, d.pairs[k]!, w, h);
      const [bx, by] = project(d.y, d.pairs[k + 1]!, w, h);
      g.moveTo(ax, ay);
      g.lineTo(bx, by);
    }
    g.stroke();
  }
  const n = d.x.length / 3;
  for (let i = 0; i < n; i++) {
    g.fillStyle = d.labels ? PALETTE[d.labels[i]! % PALETTE.length]! : '#1f77b4';
    const [px, py] = project(d.x, i, w, h);
    g.fillRect(px - 1, py - 1, 2.5, 2.5);
  }
  g.fillStyle = '#d62728';
  const m = d.y.length / 3;
  for (let i = 0; i < m; i++) {
    const [px, py] = project(d.y, i, w, h);
    g.fillRect(px - 1, py - 1, 2.5, 2.5);
  }
}
