/**
 * Webhooks (docs/protocol.md §8): the server's events (hooks.ts) become signed POSTs to each app's URLs.
 *
 * - Per app: `webhooks: [{ url, event_types?, batch_ms?, headers? }]` (or a bare URL string), read by
 *   config/webhooks-config.ts.
 * - Each POST carries `Content-Type: application/json` (exactly), `X-Pusher-Key` and
 *   `X-Pusher-Signature` (hex HMAC-SHA256 of the raw body with the app secret).
 * - Any 2xx is success; other statuses and network failures are retried with exponential backoff
 *   (1 s, 2 s, 4 s … capped at 60 s) until 5 minutes after the first attempt, then dropped and logged.
 * - `channel_vacated` and `member_removed` wait `delayMs` (3 s); when the channel is occupied again (or
 *   the member added again) within that window, both events are dropped: a reconnecting client
 *   resubscribes with a new socket and the app never sees the blip.
 * - Cluster: `channel_occupied`/`channel_vacated` are decided through the adapter's shared membership
 *   sets (cluster-state.ts), with the node id as the member of a per-channel set, so the first node to
 *   hold a channel sends `channel_occupied` and the last to let it go sends `channel_vacated`, once for
 *   the cluster. Presence events already come once per cluster from the registry (first/last
 *   connection anywhere); client events, cache misses and counts are sent by the node where they
 *   happen; `session_replaced` by the node whose claim or HTTP call replaced the session (Redis tells
 *   exactly one). A crashed node's channels are not announced as vacated (see docs/operations.md).
 */
import { WEBHOOK_CONTENT_TYPE, type WebhookBody, type WebhookEvent } from '@react-reverb/core/protocol';
import { signWebhook } from '@react-reverb/core/signing';
import type { AppConfig } from '../config/config';
import { parseWebhooks, type WebhookTarget } from '../config/webhooks-config';
import type { ClusterState } from '../scaling/cluster-state';
import type { ReverbEventMap, ReverbEvents } from '../shared/hooks';
import type { ReverbLogger } from '../shared/logger';

const MAX_BATCH_EVENTS = 100;
const ATTEMPT_TIMEOUT_MS = 10_000;
/**
 * Occupancy is kept as a membership (cluster-state.ts) of one pseudo-user in a per-channel set: the
 * shared state records which nodes hold it, so `first` means the first node anywhere and `last` the
 * last one, and a dead node's share is purged with its presence members.
 */
const OCCUPANCY_SET_PREFIX = '#webhook-occupancy:';
const OCCUPANCY_MEMBER = 'occupied';

export interface RetryPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  /** Stop retrying this long after the first attempt. */
  readonly forMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { initialMs: 1_000, maxMs: 60_000, forMs: 5 * 60_000 };

export type WebhookOutcome = 'delivered' | 'failed_attempt' | 'dropped';

export interface WebhookDispatcherOptions {
  readonly apps: readonly AppConfig[];
  readonly events: ReverbEvents;
  readonly logger: ReverbLogger;
  /** Cluster-wide membership sets: decides which node announces occupancy changes. */
  readonly cluster: Pick<ClusterState, 'joinPresence' | 'leavePresence'>;
  readonly nodeId: string;
  readonly delayMs?: number;
  readonly retry?: RetryPolicy;
  /** Each delivery outcome, for metrics and the dashboard. */
  readonly onOutcome?: (appId: string, outcome: WebhookOutcome, error?: string) => void;
}

interface Batch {
  readonly events: WebhookEvent[];
  timer: NodeJS.Timeout | undefined;
}

interface AppHooks {
  readonly app: AppConfig;
  readonly targets: readonly WebhookTarget[];
  readonly batches: Map<WebhookTarget, Batch>;
}

export class WebhookDispatcher {
  private readonly apps = new Map<string, AppHooks>();
  private readonly delayMs: number;
  private readonly retry: RetryPolicy;
  /** `app\0channel` → timer that releases the channel (channel_vacated) when it fires. */
  private readonly vacating = new Map<string, NodeJS.Timeout>();
  /** `app\0channel\0user` → timer that sends member_removed. */
  private readonly removing = new Map<string, NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly aborter = new AbortController();
  private readonly wakeRetries = new Set<() => void>();
  private closing = false;
  private readonly unsubscribe: () => void;

  constructor(private readonly options: WebhookDispatcherOptions) {
    this.delayMs = options.delayMs ?? 3_000;
    this.retry = options.retry ?? DEFAULT_RETRY;
    options.apps.forEach((app) => {
      const targets = parseWebhooks(app);
      if (targets.length > 0) this.apps.set(app.id, { app, targets, batches: new Map() });
    });
    const { events } = options;
    const on = <K extends keyof ReverbEventMap>(name: K, fn: (p: ReverbEventMap[K]) => void) => {
      const listener = (payload: ReverbEventMap[K]) => {
        if (this.apps.has(payload.appId)) fn(payload);
      };
      events.on(name, listener);
      return () => events.off(name, listener);
    };
    const offs = [
      on('channel_occupied', (p) => this.occupied(p.appId, p.channel)),
      on('channel_vacated', (p) => this.vacated(p.appId, p.channel)),
      on('member_added', (p) => this.memberAdded(p.appId, p.channel, p.userId)),
      on('member_removed', (p) => this.memberRemoved(p.appId, p.channel, p.userId)),
      on('client_event', (p) =>
        this.enqueue(p.appId, {
          name: 'client_event',
          channel: p.channel,
          event: p.event,
          data: p.data,
          socket_id: p.socketId,
          ...(p.userId === undefined ? {} : { user_id: p.userId }),
        }),
      ),
      on('cache_miss', (p) => this.enqueue(p.appId, { name: 'cache_miss', channel: p.channel })),
      on('subscription_count', (p) =>
        this.enqueue(p.appId, {
          name: 'subscription_count',
          channel: p.channel,
          subscription_count: p.subscriptionCount,
        }),
      ),
      // Emitted by the one node whose claim or HTTP call replaced the session: once per cluster.
      on('session_replaced', (p) =>
        this.enqueue(p.appId, {
          name: 'session_replaced',
          user_id: p.userId,
          session_id: p.sessionId,
          replaced_by: p.replacedBy,
        }),
      ),
    ];
    this.unsubscribe = () => {
      for (const off of offs) off();
    };
  }

  /** Whether any app has webhooks configured. */
  get active(): boolean {
    return this.apps.size > 0;
  }

  // ───────────── occupancy and membership, with the reconnect window ─────────────

  /** Occupancy costs a shared-state round trip: only apps whose webhooks want it pay for it. */
  private wantsOccupancy(appId: string): boolean {
    return (
      this.apps
        .get(appId)
        ?.targets.some((t) => t.eventTypes.has('channel_occupied') || t.eventTypes.has('channel_vacated')) ??
      false
    );
  }

  private occupied(appId: string, channel: string): void {
    if (!this.wantsOccupancy(appId)) return;
    const key = `${appId}\0${channel}`;
    const pending = this.vacating.get(key);
    if (pending) {
      // Back within the window: this node never let go of the channel, nothing to announce.
      clearTimeout(pending);
      this.vacating.delete(key);
      return;
    }
    this.track(
      this.options.cluster.joinPresence(
        appId,
        OCCUPANCY_SET_PREFIX + channel,
        OCCUPANCY_MEMBER,
        undefined,
        null,
      ),
    ).then(
      (outcome) => {
        if (outcome === 'first') this.enqueue(appId, { name: 'channel_occupied', channel });
      },
      (error: unknown) =>
        this.options.logger.warn({ err: error, appId, channel }, 'webhook occupancy claim failed'),
    );
  }

  private vacated(appId: string, channel: string): void {
    if (!this.wantsOccupancy(appId)) return;
    const key = `${appId}\0${channel}`;
    const release = () => {
      this.vacating.delete(key);
      this.track(
        this.options.cluster.leavePresence(appId, OCCUPANCY_SET_PREFIX + channel, OCCUPANCY_MEMBER),
      ).then(
        (outcome) => {
          if (outcome === 'last') this.enqueue(appId, { name: 'channel_vacated', channel });
        },
        (error: unknown) =>
          this.options.logger.warn({ err: error, appId, channel }, 'webhook occupancy release failed'),
      );
    };
    if (this.closing) {
      release();
      return;
    }
    this.vacating.set(key, setTimeout(release, this.delayMs));
  }

  private memberAdded(appId: string, channel: string, userId: string): void {
    if (channel.startsWith(OCCUPANCY_SET_PREFIX)) return;
    const key = `${appId}\0${channel}\0${userId}`;
    const pending = this.removing.get(key);
    if (pending) {
      clearTimeout(pending);
      this.removing.delete(key);
      return;
    }
    this.enqueue(appId, { name: 'member_added', channel, user_id: userId });
  }

  private memberRemoved(appId: string, channel: string, userId: string): void {
    if (channel.startsWith(OCCUPANCY_SET_PREFIX)) {
      // A dead node was purged and it was the last one holding the channel.
      this.enqueue(appId, { name: 'channel_vacated', channel: channel.slice(OCCUPANCY_SET_PREFIX.length) });
      return;
    }
    const key = `${appId}\0${channel}\0${userId}`;
    const send = () => {
      this.removing.delete(key);
      this.enqueue(appId, { name: 'member_removed', channel, user_id: userId });
    };
    if (this.closing) {
      send();
      return;
    }
    this.removing.set(key, setTimeout(send, this.delayMs));
  }

  // ───────────── batching and delivery ─────────────

  private enqueue(appId: string, event: WebhookEvent): void {
    const hooks = this.apps.get(appId);
    if (!hooks) return;
    for (const target of hooks.targets) {
      if (!target.eventTypes.has(event.name)) continue;
      if (target.batchMs === 0 || this.closing) {
        this.send(hooks.app, target, [event]);
        continue;
      }
      let batch = hooks.batches.get(target);
      if (!batch) {
        batch = { events: [], timer: undefined };
        hooks.batches.set(target, batch);
      }
      batch.events.push(event);
      if (batch.events.length >= MAX_BATCH_EVENTS) this.flushBatch(hooks, target);
      else batch.timer ??= setTimeout(() => this.flushBatch(hooks, target), target.batchMs);
    }
  }

  private flushBatch(hooks: AppHooks, target: WebhookTarget): void {
    const batch = hooks.batches.get(target);
    if (!batch || batch.events.length === 0) return;
    hooks.batches.delete(target);
    if (batch.timer) clearTimeout(batch.timer);
    this.send(hooks.app, target, batch.events);
  }

  private send(app: AppConfig, target: WebhookTarget, events: readonly WebhookEvent[]): void {
    const body: WebhookBody = { time_ms: Date.now(), events };
    this.track(this.deliver(app, target, JSON.stringify(body)));
  }

  /** Keeps `work` in the set a graceful stop waits for. */
  private track<T>(work: Promise<T>): Promise<T> {
    const settled: Promise<void> = work.then(
      () => {
        this.inFlight.delete(settled);
      },
      () => {
        this.inFlight.delete(settled);
      },
    );
    this.inFlight.add(settled);
    return work;
  }

  private async deliver(app: AppConfig, target: WebhookTarget, body: string): Promise<void> {
    const { logger, onOutcome } = this.options;
    const headers = {
      ...target.headers,
      'Content-Type': WEBHOOK_CONTENT_TYPE,
      'X-Pusher-Key': app.key,
      'X-Pusher-Signature': signWebhook(app.secret, body),
    };
    const firstAttemptMs = Date.now();
    for (let attempt = 1; ; attempt++) {
      let problem: string;
      try {
        const response = await fetch(target.url, {
          method: 'POST',
          headers,
          body,
          signal: AbortSignal.any([this.aborter.signal, AbortSignal.timeout(ATTEMPT_TIMEOUT_MS)]),
        });
        await response.body?.cancel();
        if (response.ok) {
          onOutcome?.(app.id, 'delivered');
          logger.debug(
            { appId: app.id, url: target.url, status: response.status, attempt },
            'webhook delivered',
          );
          return;
        }
        problem = `HTTP ${response.status}`;
      } catch (error) {
        problem = (error as Error).cause instanceof Error ? String((error as Error).cause) : String(error);
      }
      onOutcome?.(app.id, 'failed_attempt', problem);
      const waitMs = Math.min(this.retry.initialMs * 2 ** (attempt - 1), this.retry.maxMs);
      if (this.closing || Date.now() + waitMs - firstAttemptMs > this.retry.forMs) {
        onOutcome?.(app.id, 'dropped', problem);
        logger.error(
          { appId: app.id, url: target.url, attempts: attempt, problem, body: body.slice(0, 2000) },
          this.closing
            ? 'webhook dropped at shutdown'
            : 'webhook dropped after retrying for the retry window',
        );
        return;
      }
      logger.warn(
        { appId: app.id, url: target.url, attempt, problem, retryInMs: waitMs },
        'webhook failed, retrying',
      );
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.wakeRetries.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, waitMs);
        this.wakeRetries.add(wake);
      });
      if (this.closing) {
        onOutcome?.(app.id, 'dropped', problem);
        logger.error(
          { appId: app.id, url: target.url, attempts: attempt, problem, body: body.slice(0, 2000) },
          'webhook dropped at shutdown',
        );
        return;
      }
    }
  }

  /**
   * Graceful stop: pending delayed events go out now, batches are flushed, and deliveries in
   * flight get until `deadlineMs` (epoch ms); then they are aborted and logged as dropped.
   * Retries waiting for their next attempt are dropped (logged with their body).
   */
  async close(deadlineMs: number): Promise<void> {
    this.closing = true;
    this.unsubscribe();
    for (const [key, timer] of this.vacating) {
      clearTimeout(timer);
      const [appId = '', channel = ''] = key.split('\0');
      this.vacating.delete(key);
      this.vacated(appId, channel);
    }
    for (const [key, timer] of this.removing) {
      clearTimeout(timer);
      const [appId = '', channel = '', userId = ''] = key.split('\0');
      this.removing.delete(key);
      this.memberRemoved(appId, channel, userId);
    }
    for (const hooks of this.apps.values()) {
      for (const target of [...hooks.batches.keys()]) this.flushBatch(hooks, target);
    }
    for (const wake of [...this.wakeRetries]) wake();
    // Occupancy releases resolve asynchronously and then enqueue a send: loop until nothing is left.
    while (this.inFlight.size > 0 && Date.now() < deadlineMs) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all([...this.inFlight]),
        new Promise((resolve) => {
          timer = setTimeout(resolve, deadlineMs - Date.now());
        }),
      ]);
      clearTimeout(timer);
    }
    this.aborter.abort();
    await Promise.all([...this.inFlight]);
  }
}
