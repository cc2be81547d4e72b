// Time left in a run, from the pace of the steps seen since it (re)started on this page.

export interface Pace {
  t0: number;
  step0: number;
}

/** seconds left, or null until the pace is known (a few steps and a second in) */
export function secondsLeft(pace: Pace | null, step: number, totalSteps: number, now: number): number | null {
  if (!pace) return null;
  const steps = step - pace.step0,
    seconds = (now - pace.t0) / 1000;
  if (steps < 3 || seconds < 1) return null;
  return ((totalSteps - step) * seconds) / steps;
}
