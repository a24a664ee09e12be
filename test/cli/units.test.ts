import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import {
  checkClusters,
  clusterSizes,
  curveDecision,
  MAX_CURVE_STEPS,
  MAX_CURVE_WORK,
} from '../../src/cli/commands/clusters.js';
import { classify, UsageError } from '../../src/cli/errors.js';
import { barChart, lineChart, projections, subsample } from '../../src/cli/plot/charts.js';
import { document, esc, fmt, ticks } from '../../src/cli/plot/svg.js';
import { makeProgress } from '../../src/cli/progress.js';
import { LazyTensorError } from '../../src/errors.js';

/** A stand-in for process.stderr that records what is written. */
function fakeStream(isTTY: boolean) {
  const chunks: string[] = [];
  const s = {
    isTTY,
    columns: 80,
    write(c: string) {
      chunks.push(String(c));
      return true;
    },
    cursorTo() {
      return true;
    },
    clearLine() {
      return true;
    },
    moveCursor() {
      return true;
    },
    on() {
      return s;
    },
    removeListener() {
      return s;
    },
  };
  return { stream: s as unknown as NodeJS.WriteStream, chunks };
}

describe('exit statuses', () => {
  it('bad input and usage: 2 with one line; failures of the work: 1', () => {
    expect(classify(new UsageError('x.csv: no such file'))).toEqual({
      status: 2,
      line: 'lazytensor: x.csv: no such file',
    });
    expect(classify(new LazyTensorError('K must be >= 1\nmore'))).toEqual({
      status: 2,
      line: 'lazytensor: K must be >= 1',
    });
    expect(classify(new RangeError('out of memory'))).toEqual({
      status: 1,
      line: 'lazytensor: failed: out of memory',
    });
    expect(classify(new CommanderError(1, 'commander.unknownOption', "error: unknown option '--x'"))).toEqual(
      { status: 2 },
    );
    expect(classify(new CommanderError(0, 'commander.helpDisplayed', ''))).toEqual({ status: 0 });
  });
});

describe('progress', () => {
  it('draws a bar on a terminal', () => {
    const { stream, chunks } = fakeStream(true);
    const p = makeProgress(stream, false);
    p.start('work', 4);
    for (let k = 0; k < 4; k++) p.tick();
    p.stop();
    expect(chunks.join('')).toContain('work');
  });
  it('prints nothing when stderr is not a terminal, or with --quiet', () => {
    for (const [tty, quiet] of [
      [false, false],
      [true, true],
    ] as const) {
      const { stream, chunks } = fakeStream(tty);
      const p = makeProgress(stream, quiet);
      p.start('work', 2);
      p.tick();
      p.stop();
      expect(chunks).toEqual([]);
    }
  });
});

describe('plots', () => {
  it('ticks are round and cover the range', () => {
    const t = ticks(0, 1);
    expect(t).toHaveLength(6);
    t.forEach((v, k) => expect(v).toBeCloseTo(k * 0.2, 12));
    expect(ticks(-3.7, 12.2)).toEqual([0, 5, 10]);
    expect(ticks(-0.013, 0.021).map((v) => Math.round(v * 1000))).toEqual([-10, 0, 10, 20]);
    expect(ticks(2, 2)).toEqual([2]);
  });
  it('escapes text and formats numbers', () => {
    expect(esc('a<b & "c">')).toBe('a&lt;b &amp; &quot;c&quot;&gt;');
    expect(fmt(0.017412)).toBe('0.0174');
    expect(fmt(1234567)).toBe('1.2e6');
    expect(fmt(0)).toBe('0');
  });
  it('subsample spreads indices evenly', () => {
    expect(subsample(5, 10)).toEqual([0, 1, 2, 3, 4]);
    expect(subsample(10, 4)).toEqual([0, 2, 5, 7]);
  });
  it('a figure holds the title, one marker per point, segments, curves and bars', () => {
    const pts = { data: Float64Array.from([0, 0, 0, 1, 2, 3, -1, 0.5, 2]), shape: [3, 3] };
    const svg = document('Title <S_ε = 0.1>', [
      projections(
        [{ name: 'cloud', points: pts, color: '#f00' }],
        [{ name: 'match', from: [[0, 0, 0]], to: [[1, 2, 3]], color: '#000' }],
      ),
      lineChart(
        'curve',
        [{ name: 'err', values: [1, 0.1, 0.01] }],
        { x: 'step', y: 'error' },
        { logY: true },
      ),
      barChart('bars', [{ label: 'js', value: 2 }], 'Gpairs/s'),
    ]);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('Title &lt;S_ε = 0.1&gt;');
    // Three projections of three points each, plus legend markers.
    expect(svg.match(/<circle cx="[\d.]+" cy="[\d.]+" r="1.6"\/>/g)).toHaveLength(9);
    expect(svg).toContain('>x–y<');
    expect(svg).toContain('>y–z<');
    expect(svg.match(/<path d="M/g)).toHaveLength(3);
    expect(svg).toContain('<polyline');
    expect(svg).toContain('>0.01<');
    expect(svg).toContain('Gpairs/s');
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  });
});

describe('clustering helpers', () => {
  it('cluster sizes count the labels', () => {
    expect(clusterSizes(Int32Array.from([2, 0, 2, 2]), 4)).toEqual([1, 0, 3, 0]);
  });
  it('K above the number of points is a usage error naming the file', () => {
    expect(() => checkClusters(5, 4, 'a.csv')).toThrow(UsageError);
    expect(() => checkClusters(5, 4, 'a.csv')).toThrow(
      '-k 5 is larger than the number of points (4 in a.csv)',
    );
    expect(() => checkClusters(4, 4, 'a.csv')).not.toThrow();
  });
  it('the convergence curve is drawn only when cheap, else says why', () => {
    expect(curveDecision(false, 1, 10, 2, 5)).toEqual({ draw: false });
    expect(curveDecision(true, 1, 10, 2, 5)).toEqual({ draw: true });
    expect(curveDecision(true, 3, 10, 2, 5).why).toBe('--n-init > 1');
    expect(curveDecision(true, 1, 10, 2, 1).why).toBe('one iteration');
    expect(curveDecision(true, 1, 10, 2, MAX_CURVE_STEPS + 1).draw).toBe(false);
    const n = Math.ceil(MAX_CURVE_WORK / (2 * 10 * 10)) + 1;
    expect(curveDecision(true, 1, n, 2, 10).why).toBe('problem too large');
    expect(curveDecision(true, 1, n - 2, 2, 10).draw).toBe(true);
  });
});
