/**
 * The presence part of a presence channel: the members snapshot (immutable, join order, kept and
 * marked stale while reconnecting) and join/leave listeners. After a resubscribe the fresh list is
 * compared with the stale one, so listeners hear of everyone who came or went while the socket was down.
 */
import { parseData } from '../protocol/codec';
import { MEMBER_ADDED } from '../protocol/events';
import type {
  MemberAddedMessage,
  ServerMessage,
  SubscriptionSucceededMessage,
  UserInfo,
} from '../protocol/messages';
import { createListeners } from './listeners';
import { createStore } from './store';
import type { ChannelAuthorization, PresenceChannel, PresenceMember, PresenceSnapshot } from './types';

export const EMPTY_PRESENCE: PresenceSnapshot<never> = {
  members: [],
  me: null,
  myId: null,
  count: 0,
  stale: false,
};

type Member = PresenceMember<unknown>;

/** What the channel adds to its public object, and the points where it tells the presence part. */
export interface Presence {
  readonly api: Pick<PresenceChannel<unknown>, 'presence' | 'onJoin' | 'onLeave'>;
  authorized(authorization: ChannelAuthorization): void;
  succeeded(data: SubscriptionSucceededMessage['data']): void;
  member(message: ServerMessage): void;
  suspend(): void;
  leave(): void;
}

export function createPresence(channel: string): Presence {
  const presence = createStore<PresenceSnapshot<unknown>>(EMPTY_PRESENCE);
  const { update, getSnapshot } = presence;
  /** Join and leave listeners, by the names 'join' and 'leave'. */
  const listeners = createListeners();
  /** Our user id, from the `channel_data` the app server signed. */
  let myId: string | null = null;

  const notify = (event: 'join' | 'leave', member: Member) => listeners.emit(member, { event, channel });
  const publish = (members: readonly Member[]) =>
    update({
      members,
      me: members.find((m) => m.id === myId) ?? null,
      myId,
      count: members.length,
      stale: false,
    });
  const on =
    (event: 'join' | 'leave') =>
    (listener: (member: Member) => void): (() => void) =>
      listeners.add(event, (member) => listener(member as Member));

  return {
    api: { presence, onJoin: on('join'), onLeave: on('leave') },
    authorized(authorization) {
      // `Object()`: no channel_data, or one that is not a JSON object, has no user id.
      const id = Object(parseData(authorization.channel_data)).user_id;
      myId = id == null ? null : String(id);
    },
    succeeded(data) {
      const { ids = [], hash = {} } = data.presence ?? {};
      // Ids as strings: Reverb passes a numeric user_id of channel_data through (member events and myId
      // are strings too); hash keys are strings already.
      const members = ids.map((id) => ({ id: String(id), info: hash[id] ?? null }));
      const before = getSnapshot();
      publish(members);
      // After a reconnect, report the difference with the list we kept.
      if (before.stale) {
        const diff = (from: readonly Member[], to: readonly Member[], event: 'join' | 'leave') => {
          for (const m of from) if (!to.some((b) => b.id === m.id)) notify(event, m);
        };
        diff(before.members, members, 'leave');
        diff(members, before.members, 'join');
      }
    },
    member(message) {
      const { user_id: rawId, user_info: info } = (message as MemberAddedMessage).data as {
        user_id?: unknown;
        user_info?: UserInfo;
      };
      // Nothing was checked on the way in: a member frame without a user id is dropped.
      if (rawId == null) return;
      const id = String(rawId);
      const { members } = getSnapshot();
      const known = members.find((m) => m.id === id);
      if (message.event === MEMBER_ADDED) {
        if (known) return;
        const member = { id, info: info ?? null };
        publish([...members, member]);
        notify('join', member);
      } else if (known) {
        publish(members.filter((m) => m !== known));
        notify('leave', known);
      }
    },
    suspend() {
      if (getSnapshot().members.length > 0) update({ stale: true });
    },
    leave() {
      myId = null;
      update(EMPTY_PRESENCE);
    },
  };
}
