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

  add(task: TickTask): () => void {
    this.tasks.add(task);
    return () => this.tasks.delete(task);
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
