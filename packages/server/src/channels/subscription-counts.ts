/**
 * §3.14 `pusher_internal:subscription_count` for one app: after each subscribe and unsubscribe, the
 * count over every node (the adapter adds up every node's subscriptions) goes to every subscriber,
 * throttled to one every 5 s per channel above 100 subscribers; the latest held-back count goes out
 * from the shared ticker.
 */
import { encodeServerMessage, InternalEvent } from '@react-reverb/core/protocol';
import type { AppConfig } from '../config/config';
import type { Adapter } from '../scaling/adapter';
import type { ReverbEvents } from '../shared/hooks';
import type { SubscribedChannel } from '../socket/connection';

/** Above this many subscribers, subscription counts go out at most every {@link COUNT_THROTTLE_MS}. */
const COUNT_THROTTLE_ABOVE = 100;
const COUNT_THROTTLE_MS = 5_000;

export class SubscriptionCounts {
  /** By channel name: when this node last sent a count, and the newest count it is holding back. */
  private readonly counts = new Map<string, { lastSentMs: number; pending: number | undefined }>();

  constructor(
    private readonly app: AppConfig,
    private readonly events: ReverbEvents,
    private readonly adapter: Adapter,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** One subscription more or less on `channel` (a no-op unless the app counts and the channel has counts). */
  changed(channel: SubscribedChannel, delta: 1 | -1): void {
    if (!this.app.subscriptionCount || !channel.traits.countsSubscriptions) return;
    this.adapter.state
      .countSubscription(this.app.id, channel.name, delta)
      .then((total) => this.countChanged(channel.name, total, Date.now()))
      .catch(this.onError);
  }

  /** Sends the held-back counts whose 5 s are over. */
  tick(nowMs: number): void {
    for (const [name, state] of this.counts) {
      if (state.pending !== undefined && nowMs - state.lastSentMs >= COUNT_THROTTLE_MS) {
        this.sendCount(name, state.pending, nowMs);
      }
    }
  }

  private countChanged(name: string, total: number, nowMs: number): void {
    if (total === 0) {
      this.counts.delete(name);
      return;
    }
    const state = this.counts.get(name) ?? { lastSentMs: 0, pending: undefined };
    this.counts.set(name, state);
    if (total > COUNT_THROTTLE_ABOVE && nowMs - state.lastSentMs < COUNT_THROTTLE_MS) {
      state.pending = total;
      return;
    }
    this.sendCount(name, total, nowMs);
  }

  private sendCount(name: string, subscriptionCount: number, nowMs: number): void {
    const state = this.counts.get(name);
    if (state) {
      state.lastSentMs = nowMs;
      state.pending = undefined;
    }
    const frame = encodeServerMessage({
      event: InternalEvent.SubscriptionCount,
      channel: name,
      data: { subscription_count: subscriptionCount },
    });
    this.adapter.publish({ type: 'broadcast', appId: this.app.id, channel: name, frame }).catch(this.onError);
    this.events.emit('subscription_count', { appId: this.app.id, channel: name, subscriptionCount });
  }
}
