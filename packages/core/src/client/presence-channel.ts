/**
 * A presence channel: the members snapshot (immutable, join order, kept and marked stale while
 * reconnecting) and join/leave listeners. After a resubscribe the fresh list is compared with the
 * stale one, so listeners hear of everyone who came or went while the socket was down.
 */
import { MEMBER_ADDED } from '../protocol/events';
import type {
  MemberAddedMessage,
  MemberRemovedMessage,
  ServerMessage,
  SubscriptionSucceededMessage,
  UserInfo,
} from '../protocol/messages';
import { ReverbChannel } from './channel';
import { Listeners } from './listeners';
import { Store } from './store';
import type { ChannelAuthorization, PresenceChannel, PresenceMember, PresenceSnapshot } from './types';

export const EMPTY_PRESENCE: PresenceSnapshot<never> = {
  members: [],
  me: null,
  myId: null,
  count: 0,
  stale: false,
};

type MemberListener<Info> = (member: PresenceMember<Info>) => void;

export class ReverbPresenceChannel<Info = UserInfo> extends ReverbChannel implements PresenceChannel<Info> {
  readonly presence = new Store<PresenceSnapshot<Info>>(EMPTY_PRESENCE);
  /** Join and leave listeners, by the names 'join' and 'leave'. */
  #memberListeners = new Listeners();
  /** Our user id, from the `channel_data` the app server signed. */
  #myId: string | null = null;

  onJoin(listener: MemberListener<Info>): () => void {
    return this.#memberListeners.add('join', (member) => listener(member as PresenceMember<Info>));
  }

  onLeave(listener: MemberListener<Info>): () => void {
    return this.#memberListeners.add('leave', (member) => listener(member as PresenceMember<Info>));
  }

  protected override authorized(authorization: ChannelAuthorization): void {
    try {
      const data = JSON.parse(authorization.channel_data ?? '{}') as { user_id?: unknown };
      this.#myId = data.user_id === undefined || data.user_id === null ? null : String(data.user_id);
    } catch {
      this.#myId = null;
    }
  }

  protected override succeeded(data: SubscriptionSucceededMessage['data']): void {
    const { ids = [], hash = {} } = data.presence ?? {};
    const members = ids.map((id) => ({ id, info: (hash[id] ?? null) as Info }));
    const before = this.presence.getSnapshot();
    this.#publish(members);
    // After a reconnect, report the difference with the list we kept.
    if (before.stale) {
      const now = new Set(ids);
      const was = new Set(before.members.map((m) => m.id));
      for (const m of before.members) if (!now.has(m.id)) this.#notify('leave', m);
      for (const m of members) if (!was.has(m.id)) this.#notify('join', m);
    }
  }

  protected override member(message: ServerMessage): void {
    const { members } = this.presence.getSnapshot();
    if (message.event === MEMBER_ADDED) {
      const { user_id: id, user_info: info } = (message as MemberAddedMessage).data;
      if (members.some((m) => m.id === id)) return;
      const member = { id, info: (info ?? null) as Info };
      this.#publish([...members, member]);
      this.#notify('join', member);
    } else {
      const { user_id: id } = (message as MemberRemovedMessage).data;
      const member = members.find((m) => m.id === id);
      if (member === undefined) return;
      this.#publish(members.filter((m) => m !== member));
      this.#notify('leave', member);
    }
  }

  override suspend(): void {
    super.suspend();
    if (this.presence.getSnapshot().members.length > 0) this.presence.update({ stale: true });
  }

  override leave(): void {
    super.leave();
    this.#myId = null;
    this.presence.update(EMPTY_PRESENCE);
  }

  #notify(event: 'join' | 'leave', member: PresenceMember<Info>): void {
    this.#memberListeners.emit(member, { event, channel: this.name });
  }

  #publish(members: ReadonlyArray<PresenceMember<Info>>): void {
    const me = members.find((m) => m.id === this.#myId) ?? null;
    this.presence.update({ members, me, myId: this.#myId, count: members.length, stale: false });
  }
}

/** A fresh wrapper per call, so the same function added twice is two listeners, removed one at a time. */
