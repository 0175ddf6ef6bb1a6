/**
 * A channel as one node holds it (its local subscribers, presence members and held subscriptions),
 * and the answers to the questions the adapter asks of a node's channels (HTTP API lists and counts).
 */
import { type ChannelTraits, channelTraits } from '@react-reverb/core/protocol';
import type { ChannelSnapshot, QueryOf } from '../scaling/adapter';
import type { Connection, PresenceMember, SubscribedChannel } from '../socket/connection';
import type { Hold } from './recovery';

export class Channel implements SubscribedChannel {
  readonly subscribers = new Set<Connection>();
  /**
   * §11.1: connections whose subscription is being answered from the history. They get the live
   * frames only once their replay is sent (recovery.ts); then they move to `subscribers`.
   */
  readonly holding = new Map<Connection, Hold>();
  /** Presence only: user id → member, in join order. */
  readonly members: Map<string, PresenceMember> | undefined;

  constructor(
    readonly name: string,
    readonly traits: ChannelTraits,
  ) {
    this.members = traits.isPresence ? new Map() : undefined;
  }
}

function snapshot(channel: Channel): ChannelSnapshot {
  // A connection held while its history is read is subscribed all the same.
  const subscriptionCount = channel.subscribers.size + channel.holding.size;
  return channel.members ? { subscriptionCount, userCount: channel.members.size } : { subscriptionCount };
}

/** What this node holds, by channel: the adapter adds up every node's answers. */
export function answerChannelQuery(
  channels: ReadonlyMap<string, Channel>,
  query: QueryOf<'channels' | 'channel' | 'users' | 'cache'>,
): unknown {
  switch (query.type) {
    case 'channels': {
      const result: Record<string, ChannelSnapshot> = {};
      const prefix = query.prefix ?? '';
      for (const [name, channel] of channels) {
        if (!name.startsWith(prefix)) continue;
        // Internal per-user channels are listed only when asked for by prefix.
        if (name.startsWith('#') && !prefix.startsWith('#')) continue;
        result[name] = snapshot(channel);
      }
      return result;
    }
    case 'channel': {
      const channel = channels.get(query.channel);
      return channel
        ? snapshot(channel)
        : { subscriptionCount: 0, ...(channelTraits(query.channel).isPresence ? { userCount: 0 } : {}) };
    }
    case 'users':
      return [...(channels.get(query.channel)?.members?.keys() ?? [])];
    case 'cache':
      // Cache channels are shared state: the adapter answers for them, never a single node.
      return null;
  }
}
