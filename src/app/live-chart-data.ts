// The one live run's chart data (fed by actions.ts from engine events, drawn by LiveChart), and the
// chart canvases, so a report can save the chart as a PNG.
import { RunChartData } from './chart-data.ts';

export const liveChart = new RunChartData();

const canvases = new Set<HTMLCanvasElement>();

/** LiveChart registers its canvases while mounted; returns the unregister function */
export function registerCanvas(c: HTMLCanvasElement): () => void {
  canvases.add(c);
  return () => canvases.delete(c);
}

/** the charts stacked into one PNG on white, or null when none is on screen */
export async function chartPng(): Promise<Blob | null> {
  const list = [...canvases].filter((c) => c.width > 0 && c.height > 0);
  if (list.length === 0) return null;
  const out = document.createElement('canvas');
  out.width = Math.max(...list.map((c) => c.width));
  out.height = list.reduce((h, c) => h + c.height, 0);
  const ctx = out.getContext('2d')!;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, out.width, out.height);
  let y = 0;
  for (const c of list) {
    ctx.drawImage(c, 0, y);
    y += c.height;
  }
  return new Promise((ok) => out.toBlob(ok, 'image/png'));
}
