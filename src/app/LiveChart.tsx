// Loss and accuracy over steps, drawn by uPlot on canvases. React renders the frame once; new points
// reach uPlot by setData at most once per animation frame (the data lives in liveChart, not React).
import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { spreadLabels } from './chart-data.ts';
import { liveChart, registerCanvas, type ChartMeta } from './live-chart-data.ts';
import { useStudio } from './store.ts';

const COLORS = { loss: '#2f6f62', base: '#3b6fb6', new: '#c2672d', hm: '#7b3fa0', teacher: '#555', zeroShot: '#8a8a80' };

/** type and sizes: the page's, or a projector's (present mode) */
interface Look {
  font: number;
  /** of the plot, for the chart drawn in `box` */
  accuracyHeight(box: HTMLElement | null): number;
}
const PAGE: Look = { font: 11, accuracyHeight: () => 210 };
// the plot takes what the window leaves below the chart's top (on the page scrolled to its top, as
// present mode shows it), less its title and legend (~5 rem), so the whole chart is on the screen;
// at least 260 px
const PROJECTOR: Look = {
  font: 18,
  accuracyHeight: (box) =>
    Math.max(260, Math.round(window.innerHeight - (box ? box.getBoundingClientRect().top + window.scrollY : 300) - 100)),
};

const axis = (label: string, look: Look): uPlot.Axis => ({
  label,
  stroke: look === PAGE ? '#6a737d' : '#1f2328',
  grid: { stroke: '#efefea', width: 1 },
  ticks: { stroke: '#e3e3de', width: 1 },
  size: 4 * look.font,
  labelSize: 2 * look.font,
  font: `${look.font}px system-ui, sans-serif`,
  labelFont: `${look.font + 1}px system-ui, sans-serif`,
});
// the legend shows values only under the cursor (uPlot's idle "--" reads as missing data)
const shown = (digits: number) => (_u: uPlot, v: number | null) => (v == null ? '' : v.toFixed(digits));
const stepSeries: uPlot.Series = { label: 'step', value: shown(0) };

function lossOptions(width: number, look: Look): uPlot.Options {
  return {
    width,
    height: 190,
    title: 'Distillation loss',
    scales: { x: { time: false } },
    axes: [{ ...axis('step', look), size: 36 }, axis('loss', look)],
    series: [
      stepSeries,
      { label: 'raw', stroke: 'rgba(47,111,98,0.25)', width: 1, points: { show: false }, value: shown(4) },
      { label: 'loss (smoothed)', stroke: COLORS.loss, width: 2, points: { show: false }, value: shown(4) },
    ],
    legend: { live: true },
    cursor: { drag: { x: true, y: false } },
  };
}

/** the reference series of the accuracy chart (their indices in accuracyView, after `first`) and the words on their lines */
const referencesFrom = (first: number) =>
  [
    { series: first, text: 'teacher', ink: '#444' },
    { series: first + 1, text: 'student before distillation', ink: '#55554e' },
  ] as const;

/** writes each reference line's name and value on it, at its right end (drawn on the canvas, so the PNG has them) */
function labelReferences(u: uPlot, look: Look, allClasses: boolean): void {
  const px = uPlot.pxRatio,
    size = (look.font + 1) * px;
  const shown = referencesFrom(allClasses ? 2 : 4).flatMap((r) => {
    const v = (u.data[r.series] as (number | null)[]).findLast((x) => x != null);
    return v == null ? [] : [{ ...r, v, y: u.valToPos(v, 'y', true) }];
  });
  // each sits just above its line; two close lines' words are moved apart instead of overprinting
  const ys = spreadLabels(
    shown.map((r) => r.y - 3 * px),
    1.15 * size,
  );
  const ctx = u.ctx;
  ctx.save();
  ctx.font = `600 ${size}px system-ui, sans-serif`;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'bottom';
  shown.forEach((r, i) => {
    const text = `${r.text} ${r.v.toFixed(1)}%`;
    const x = u.bbox.left + u.bbox.width - 4 * px,
      y = ys[i]!;
    // a white backing keeps the words legible over the grid and the other lines
    const w = ctx.measureText(text).width;
    ctx.fillStyle = 'rgba(255,255,255,0.85)';
    ctx.fillRect(x - w - 3 * px, y - size - px, w + 6 * px, size + 2 * px);
    ctx.fillStyle = r.ink;
    ctx.fillText(text, x, y);
  });
  ctx.restore();
}

/** `allClasses`: a cross-dataset run, one accuracy over all classes where base-to-new has base, new and HM */
function accuracyOptions(width: number, look: Look, box: HTMLElement | null, allClasses: boolean): uPlot.Options {
  const line = (label: string, stroke: string, dash?: number[]): uPlot.Series => ({
    label,
    stroke,
    width: (dash ? 1.5 : 2) * (look === PAGE ? 1 : 1.5),
    dash,
    points: { show: !dash, size: look === PAGE ? 5 : 8 },
    spanGaps: true,
    value: shown(2),
  });
  return {
    width,
    height: look.accuracyHeight(box),
    title: 'Test accuracy (%)',
    scales: {
      x: { time: false },
      y: {
        range: (_u, min, max) => [
          Math.max(0, Math.floor((Math.min(min, 100) - 5) / 10) * 10),
          Math.min(100, Math.ceil((max + 2) / 10) * 10),
        ],
      },
    },
    axes: [{ ...axis('step', look), size: 3.3 * look.font }, axis('%', look)],
    hooks: { draw: [(u) => labelReferences(u, look, allClasses)] },
    series: allClasses
      ? [
          stepSeries,
          line('accuracy (all classes)', COLORS.hm),
          line('teacher accuracy', COLORS.teacher, [6, 4]),
          line('zero-shot student accuracy', COLORS.zeroShot, [3, 3]),
        ]
      : [
          stepSeries,
          line('base', COLORS.base),
          line('new', COLORS.new),
          line('HM', COLORS.hm),
          line('teacher HM', COLORS.teacher, [6, 4]),
          line('zero-shot student HM', COLORS.zeroShot, [3, 3]),
        ],
    legend: { live: true },
  };
}

/** title and legend of a chart, for the PNG export (uPlot draws its legend as HTML, not on the canvas) */
function metaOf(o: uPlot.Options): ChartMeta {
  return {
    title: o.title ?? '',
    legend: o.series.slice(1).map((s) => ({ label: String(s.label), color: String(s.stroke), dash: s.dash })),
  };
}

export function LiveChart() {
  const lossRef = useRef<HTMLDivElement>(null);
  const accRef = useRef<HTMLDivElement>(null);
  const [smoothing, setSmoothing] = useState(0.6);
  const smoothingRef = useRef(smoothing);
  const redraw = useRef<() => void>(() => {});
  const presenting = useStudio((s) => s.presenting);
  const allClasses = useStudio((s) => s.run?.protocol === 'cross-dataset');

  // made again when present mode changes (uPlot's fonts are fixed when it is made); the data lives in liveChart
  useEffect(() => {
    const look = presenting ? PROJECTOR : PAGE;
    const widthOf = (el: HTMLDivElement | null) => Math.max(280, el?.clientWidth ?? 0);
    const lossOpts = lossOptions(widthOf(lossRef.current), look),
      accOpts = accuracyOptions(widthOf(accRef.current), look, accRef.current, allClasses);
    const loss = new uPlot(lossOpts, liveChart.lossView(smoothingRef.current), lossRef.current!);
    const acc = new uPlot(accOpts, liveChart.accuracyView(), accRef.current!);
    const unregister = [registerCanvas(loss.ctx.canvas, metaOf(lossOpts)), registerCanvas(acc.ctx.canvas, metaOf(accOpts))];
    let drawn = liveChart.version,
      frame = 0;
    const draw = () => {
      drawn = liveChart.version;
      loss.setData(liveChart.lossView(smoothingRef.current));
      acc.setData(liveChart.accuracyView());
    };
    redraw.current = draw;
    // one cheap check per frame; the views are built only when something new arrived
    const tick = () => {
      if (liveChart.version !== drawn) draw();
      frame = requestAnimationFrame(tick);
    };
    frame = requestAnimationFrame(tick);
    // each chart follows its own box (in present mode the loss chart is hidden, its box 0 wide), and
    // the accuracy chart's height follows the window's
    const resize = () => {
      if (lossRef.current?.clientWidth) loss.setSize({ width: widthOf(lossRef.current), height: 190 });
      const w = widthOf(accRef.current);
      acc.setSize({ width: w, height: look.accuracyHeight(accRef.current) });
    };
    const observer = new ResizeObserver(resize);
    observer.observe(lossRef.current!);
    observer.observe(accRef.current!);
    addEventListener('resize', resize);
    return () => {
      cancelAnimationFrame(frame);
      observer.disconnect();
      removeEventListener('resize', resize);
      unregister.forEach((u) => {
        u();
      });
      loss.destroy();
      acc.destroy();
    };
  }, [presenting, allClasses]);

  const onSmoothing = (v: number) => {
    setSmoothing(v);
    smoothingRef.current = v;
    redraw.current();
  };

  return (
    <div className="live-chart">
      <div ref={lossRef} className="chart" data-testid="chart-loss" />
      <label className="smoothing">
        Smoothing{' '}
        <input type="range" min={0} max={0.99} step={0.01} value={smoothing} onChange={(e) => onSmoothing(Number(e.target.value))} />
        <output>{smoothing.toFixed(2)}</output>
      </label>
      <div ref={accRef} className="chart" data-testid="chart-accuracy" />
    </div>
  );
}
