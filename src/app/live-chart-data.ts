// The one live run's chart data (fed by actions.ts from engine events, drawn by LiveChart), and the
// chart canvases, so a report can save the chart as a PNG.
import { RunChartData } from './chart-data.ts';

export const liveChart = new RunChartData();

export interface ChartMeta {
  title: string;
  legend: { label: string; color: string; dash?: number[] }[];
}

const charts = new Map<HTMLCanvasElement, ChartMeta>();

/** LiveChart registers its canvases while mounted; returns the unregister function */
export function registerCanvas(c: HTMLCanvasElement, meta: ChartMeta): () => void {
  charts.set(c, meta);
  return () => charts.delete(c);
}

const HEADER = 34; // CSS px above each chart for its title and legend

/** the charts stacked into one PNG on white, each with its title and legend, or null when none is on screen */
export async function chartPng(): Promise<Blob | null> {
  const list = [...charts].filter(([c]) => c.width > 0 && c.height > 0);
  if (list.length === 0) return null;
  const dpr = list[0]![0].width / list[0]![0].getBoundingClientRect().width || 1;
  const header = Math.round(HEADER * dpr);
  const out = document.createElement('canvas');
  out.width = Math.max(...list.map(([c]) => c.width));
  out.height = list.reduce((h, [c]) => h + header + c.height, 0);
  const ctx = out.getContext('2d')!;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, out.width, out.height);
  let y = 0;
  for (const [c, meta] of list) {
    ctx.fillStyle = '#1f2328';
    ctx.font = `600 ${13 * dpr}px system-ui, sans-serif`;
    ctx.textBaseline = 'middle';
    ctx.fillText(meta.title, 8 * dpr, y + header / 2);
    let x = 8 * dpr + ctx.measureText(meta.title).width + 24 * dpr;
    ctx.font = `${11 * dpr}px system-ui, sans-serif`;
    for (const item of meta.legend) {
      ctx.strokeStyle = item.color;
      ctx.lineWidth = 2 * dpr;
      ctx.setLineDash((item.dash ?? []).map((d) => d * dpr));
      ctx.beginPath();
      ctx.moveTo(x, y + header / 2);
      ctx.lineTo(x + 18 * dpr, y + header / 2);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = '#444';
      ctx.fillText(item.label, x + 22 * dpr, y + header / 2);
      x += 22 * dpr + ctx.measureText(item.label).width + 16 * dpr;
    }
    ctx.drawImage(c, 0, y + header);
    y += header + c.height;
  }
  return new Promise((ok) => out.toBlob(ok, 'image/png'));
}
