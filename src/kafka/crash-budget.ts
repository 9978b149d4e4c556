/**
 * How many consumer crashes a job absorbs by rejoining the group: at most `max` within `periodMs`; one
 * more inside that period means something is wrong for good and the job stops.
 */
export class CrashBudget {
  private at: number[] = [];

  constructor(
    readonly max: number,
    readonly periodMs: number,
  ) {}

  /** Count a crash at `nowMs`; false (and not counted) when `max` crashes happened within the period already. */
  spend(nowMs: number): boolean {
    this.at = this.at.filter((t) => nowMs - t < this.periodMs);
    if (this.at.length >= this.max) return false;
    this.at.push(nowMs);
    return true;
  }

  /** Crashes counted within the period (as of the last spend). */
  get recent(): number {
    return this.at.length;
  }
}
