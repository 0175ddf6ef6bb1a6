/**
 * Per-app traffic counters, kept as plain numbers so the hot path (every frame in or out) costs an
 * increment and nothing else. Metrics (metrics.ts) and the dashboard read them when asked.
 */
export class AppTraffic {
  messagesIn = 0;
  messagesOut = 0;
  bytesIn = 0;
  bytesOut = 0;
  connectionsOpened = 0;
  webhooksDelivered = 0;
  webhookFailures = 0;
  webhooksDropped = 0;
  /** Single session: sessions this node replaced (each counted once in the cluster). */
  sessionsReplaced = 0;
  /** Single session: connections this node closed with 4010 (refused sign-ins included). */
  sessionClosures = 0;
  /** HTTP API status → requests. */
  readonly httpRequests = new Map<number, number>();

  countHttp(status: number): void {
    this.httpRequests.set(status, (this.httpRequests.get(status) ?? 0) + 1);
  }
}

export interface RecentProblem {
  readonly timeMs: number;
  readonly level: 'warn' | 'error';
  readonly message: string;
  readonly appId?: string;
}

/** Warnings and errors a process keeps for the dashboard (a machine of workers lists as many). */
export const RECENT_PROBLEMS = 50;

export class Traffic {
  private readonly apps = new Map<string, AppTraffic>();
  /** Requests that named no known app (bad paths). */
  readonly unknownApp = new AppTraffic();
  private readonly problems: RecentProblem[] = [];

  constructor(appIds: readonly string[]) {
    for (const id of appIds) this.apps.set(id, new AppTraffic());
  }

  forApp(appId: string): AppTraffic {
    return this.apps.get(appId) ?? this.unknownApp;
  }

  entries(): IterableIterator<[string, AppTraffic]> {
    return this.apps.entries();
  }

  /** Warnings and errors of the log, newest last, for the dashboard. */
  recordProblem(problem: RecentProblem): void {
    this.problems.push(problem);
    if (this.problems.length > RECENT_PROBLEMS) this.problems.shift();
  }

  recentProblems(): readonly RecentProblem[] {
    return this.problems;
  }
}
