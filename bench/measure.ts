// Taking measurements within a time budget: each row either gets a timing, or a note saying why
// not (over budget, failed, no adapter). What is being measured is kept for the watchdog's message.
import type { ProfileRow, ThroughputRow } from './report.ts';
import type { Timing } from './workloads.ts';

export const firstLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0]!;

export class Recorder {
  /** what is being measured now (for a run stopped by its watchdog) */
  current = 'start-up';
  readonly throughput: ThroughputRow[] = [];
  readonly profiles: ProfileRow[] = [];

  /** @param onRow hears each row and profile as it is recorded (the GPU pack prints them at once) */
  constructor(
    private readonly leftS: () => number,
    private readonly budgetS: number,
    readonly log: (line: string) => void,
    private readonly onRow: (row: { throughput: ThroughputRow } | { profile: ProfileRow }) => void = () => {},
  ) {}

  private addRow(row: ThroughputRow): void {
    this.throughput.push(row);
    this.onRow({ throughput: row });
  }

  private addProfile(row: ProfileRow): void {
    this.profiles.push(row);
    this.onRow({ profile: row });
  }

  /** a row without a number */
  note(row: Omit<ThroughputRow, 'timing'>, note: string): void {
    this.addRow({ ...row, timing: null, note });
    this.log(`${row.workload}, ${row.geometry}, ${row.backend}: ${note}`);
  }

  /** times `run` unless its estimate would overrun the budget; a failure becomes the row's note */
  async measure(row: Omit<ThroughputRow, 'timing'>, estimateS: number, run: () => Promise<Timing>): Promise<Timing | null> {
    const skip = this.overBudget(estimateS);
    if (skip) {
      this.note(row, skip);
      return null;
    }
    this.current = `${row.workload}, ${row.geometry}, ${row.backend}`;
    this.log(`${this.current} …`);
    try {
      const timing = await run();
      this.addRow({ ...row, timing });
      return timing;
    } catch (e) {
      this.note(row, `failed: ${firstLine(e)}`);
      return null;
    }
  }

  /** a kernel profile of one run (the timing's profile), or a note */
  async profile(row: Omit<ProfileRow, 'profile'>, estimateS: number, run: () => Promise<Timing>): Promise<void> {
    const skip = this.overBudget(estimateS);
    const noted = (note: string) => {
      this.addProfile({ ...row, profile: null, note });
      this.log(`profile of ${row.workload}, ${row.geometry}, ${row.backend}: ${note}`);
    };
    if (skip) return noted(skip);
    this.current = `the profile of ${row.workload}, ${row.geometry}, ${row.backend}`;
    this.log(`${this.current} …`);
    try {
      const t = await run();
      if (!t.profile) throw new Error('the run returned no profile');
      this.addProfile({ ...row, profile: t.profile });
    } catch (e) {
      noted(`failed: ${firstLine(e)}`);
    }
  }

  private overBudget(estimateS: number): string | null {
    const left = this.leftS();
    return estimateS > left
      ? `skipped (over time budget: needs ~${Math.round(estimateS)} s, ${Math.max(0, Math.round(left))} s left of ${this.budgetS} s)`
      : null;
  }
}
