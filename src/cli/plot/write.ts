/** Writes a figure: .svg as text, .png rendered by resvg (loaded only when a PNG is asked for). */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { UsageError } from '../errors.js';

/** The figure format of a --plot file from its extension (usage error for any other). */
export function figureFormat(file: string): 'svg' | 'png' {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.svg' || ext === '.png') return ext === '.svg' ? 'svg' : 'png';
  throw new UsageError(`${file}: --plot writes .svg or .png files, got '${ext || 'no extension'}'`);
}

/** Writes the SVG document to `file` (.svg or .png). */
export function writeFigure(file: string, svg: string): void {
  const bytes = figureFormat(file) === 'svg' ? svg : renderPng(svg);
  try {
    writeFileSync(file, bytes);
  } catch (e) {
    throw new UsageError(
      `${file}: cannot write the plot (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
}

function renderPng(svg: string): Uint8Array {
  const require = createRequire(import.meta.url);
  let Resvg: new (svg: string, opts: object) => { render(): { asPng(): Uint8Array } };
  try {
    ({ Resvg } = require('@resvg/resvg-js'));
  } catch {
    throw new UsageError(
      'PNG output needs the optional package @resvg/resvg-js (npm install @resvg/resvg-js); use --plot file.svg',
    );
  }
  return new Resvg(svg, {
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
    fitTo: { mode: 'zoom', value: 2 },
  })
    .render()
    .asPng();
}
