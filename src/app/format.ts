// How numbers read on screen. Accuracies arrive as fractions and show as percentages.

/** 0.4797 → "47.97"; null/NaN → "–" */
export const pct = (x: number | null | undefined, digits = 2): string => (x == null || Number.isNaN(x) ? '–' : (100 * x).toFixed(digits));

export const lossText = (x: number | null | undefined): string => (x == null || Number.isNaN(x) ? '–' : x.toFixed(4));

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024,
    u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[u]}`;
}

/** seconds → "1 min 05 s", "42 s", "2 h 03 min" */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

export const plural = (n: number, one: string, many = `${one}s`): string => `${n.toLocaleString('en')} ${n === 1 ? one : many}`;
