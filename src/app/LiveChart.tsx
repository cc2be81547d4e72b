// Loss and accuracy over steps, drawn by uPlot on canvases. React renders the frame once; new points
// reach uPlot by setData at most once per animation frame (the data lives in liveChart, not React).
import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { liveChart, registerCanvas, type ChartMeta } from './live-chart-data.ts';

const COLORS = { loss: '#2f6f62', base: '#3b6fb6', new: '#c2672d', hm: '#7b3fa0', teacher: '#555', zeroShot: '#b0b0a8' };

const axis = (label: string): uPlot.Axis => ({
  label, stroke: '#6a737d', grid: { stroke: '#efefea', width: 1 }, ticks: { stroke: '#e3e3de', width: 1 }, size: 44, labelSize: 20,
  font: '11px system-ui, sans-serif', labelFont: '12px system-ui, sans-serif',
});
const stepAxis: uPlot.Axis = { ...axis('step'), size: 36 };
// the legend shows values only under the cursor (uPlot's idle "--" reads as missing data)
const shown = (digits: number) => (_u: uPlot, v: number | null) => (v == null ? '' : v.toFixed(digits));
const stepSeries: uPlot.Series = { label: 'step', value: shown(0) };

function lossOptions(width: number): uPlot.Options {
  return {
    width, height: 190, title: 'Distillation loss',
    scales: { x: { time: false } },
    axes: [stepAxis, axis('loss')],
    series: [
      stepSeries,
      { label: 'raw', stroke: 'rgba(47,111,98,0.25)', width: 1, points: { show: false }, value: shown(4) },
      { label: 'loss (smoothed)', stroke: COLORS.loss, width: 2, points: { show: false }, value: shown(4) },
    ],
    legend: { live: true },
    cursor: { drag: { x: true, y: false } },
  };
}

function accuracyOptions(width: number): uPlot.Options {
  const line = (label: string, stroke: string, dash?: number[]): uPlot.Series => ({ label, stroke, width: dash ? 1.5 : 2, dash, points: { show: !dash, size: 5 }, spanGaps: true, value: shown(2) });
  return {
    width, height: 210, title: 'Test accuracy (%)',
    scales: { x: { time: false }, y: { range: (_u, min, max) => [Math.max(0, Math.floor((Math.min(min, 100) - 5) / 10) * 10), Math.min(100, Math.ceil((max + 2) / 10) * 10)] } },
    axes: [stepAxis, axis('%')],
    series: [
      stepSeries,
      line('base', COLORS.base), line('new', COLORS.new), line('HM', COLORS.hm),
      line('teacher HM', COLORS.teacher, [6, 4]), line('zero-shot student HM', COLORS.zeroShot, [3, 3]),
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

  useEffect(() => {
    const width = Math.max(280, lossRef.current!.clientWidth);
    const lossOpts = lossOptions(width), accOpts = accuracyOptions(width);
    const loss = new uPlot(lossOpts, liveChart.lossView(smoothingRef.current), lossRef.current!);
    const acc = new uPlot(accOpts, liveChart.accuracyView(), accRef.current!);
    const unregister = [registerCanvas(loss.ctx.canvas, metaOf(lossOpts)), registerCanvas(acc.ctx.canvas, metaOf(accOpts))];
    let drawn = liveChart.version, frame = 0;
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
    const resize = new ResizeObserver(() => {
      const w = Math.max(280, lossRef.current?.clientWidth ?? width);
      loss.setSize({ width: w, height: 190 });
      acc.setSize({ width: w, height: 210 });
    });
    resize.observe(lossRef.current!);
    return () => {
      cancelAnimationFrame(frame);
      resize.disconnect();
      unregister.forEach((u) => u());
      loss.destroy();
      acc.destroy();
    };
  }, []);

  const onSmoothing = (v: number) => {
    setSmoothing(v);
    smoothingRef.current = v;
    redraw.current();
  };

  return (
    <div className="live-chart">
      <div ref={lossRef} className="chart" data-testid="chart-loss" />
      <label className="smoothing">
        Smoothing <input type="range" min={0} max={0.99} step={0.01} value={smoothing} onChange={(e) => onSmoothing(Number(e.target.value))} />
        <output>{smoothing.toFixed(2)}</output>
      </label>
      <div ref={accRef} className="chart" data-testid="chart-accuracy" />
    </div>
  );
}
