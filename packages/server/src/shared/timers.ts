/**
 * One shared interval for everything periodic (activity probes, pong deadlines, throttled
 * subscription counts, cache expiry): no timer per socket, so 100k connections cost one timer.
 * Each tick runs the registered tasks; a task that throws is reported and the others still run.
 */
export type TickTask = (nowMs: number) => void;

export class Ticker {
  private readonly tasks = new Set<TickTask>();
  private handle: ReturnType<typeof setInterval> | undefined;

  constructor(
    readonly intervalMs: number,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  /**
   * Runs `task` on every tick, or with `everyMs` at most once per `everyMs` (housekeeping that need
   * not run as often as the activity checks). Returns the function that removes it.
   */
  add(task: TickTask, options: { readonly everyMs?: number } = {}): () => void {
    const { everyMs } = options;
    let lastRunMs = Number.NEGATIVE_INFINITY;
    const run: TickTask =
      everyMs === undefined
        ? task
        : (nowMs) => {
            if (nowMs - lastRunMs < everyMs) return;
            lastRunMs = nowMs;
            task(nowMs);
          };
    this.tasks.add(run);
    return () => this.tasks.delete(run);
  }

  start(): void {
    if (this.handle) return;
    this.handle = setInterval(() => this.tick(Date.now()), this.intervalMs);
    // The ticker never keeps the process alive on its own.
    this.handle.unref();
  }

  stop(): void {
    if (this.handle) clearInterval(this.handle);
    this.handle = undefined;
  }

  tick(nowMs: number): void {
    for (const task of this.tasks) {
      try {
        task(nowMs);
      } catch (error) {
        this.onError(error);
      }
    }
  }
}

/**
 * Tick interval fitting the shortest timing of the apps: a quarter of the shortest of their
 * activity timeouts and pong windows, between 50 ms and 1 s.
 */
export function tickIntervalFor(timingsSeconds: readonly number[]): number {
  const shortest = Math.min(...timingsSeconds, 4);
  return Math.min(1000, Math.max(50, Math.floor((shortest * 1000) / 4)));
}
