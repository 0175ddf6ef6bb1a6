import {
  assertClientChannelName,
  type ChannelError,
  type ChannelSnapshot,
  type ChannelStatus,
  ClientEventError,
  type ConnectionSnapshot,
  type ConnectionStatus,
  createStore,
  type EventListener,
  type EventMeta,
  formatEventName,
  type PresenceChannel,
  type PresenceMember,
  type PresenceSnapshot,
  type RetainedChannel,
  type RetainOptions,
  type ReverbClient,
  type ReverbClientOptions,
  type Store,
  type StreamRecovery,
  type UserSnapshot,
  type UserStore,
} from '@react-reverb/core';
import {
  CLIENT_EVENT_PREFIX,
  channelTraits,
  ReverbError,
  serverToUserChannel,
  type UserInfo,
} from '@react-reverb/core/protocol';
import { ListenerMap } from './listener-map';

export interface MockClientOptions {
  /** Initial connection state. Default `connected`. */
  readonly state?: ConnectionStatus;
  /** Socket id while connected. Default `1234.5678`. */
  readonly socketId?: string;
  /**
   * True (default): a subscription succeeds as soon as it is sent. False: it stays `subscribing` until
   * `completeSubscription(name)` or `failSubscription(name, error)`.
   */
  readonly autoSubscribe?: boolean;
  /** This connection's presence member. Default `{ id: '1', info: {} }`. */
  readonly me?: PresenceMember;
  /** Other members already on presence channels when this client subscribes. */
  readonly members?: Readonly<Record<string, ReadonlyArray<PresenceMember>>>;
  /** Laravel event namespace for `formatEventName`. Default `App\Events`. */
  readonly namespace?: string | false;
  readonly options?: Partial<ReverbClientOptions>;
}

export interface WireRecord {
  readonly type: 'subscribe' | 'unsubscribe';
  readonly channel: string;
  /** The first hold's `rewind`, on the subscribes before the first success (as the core sends it). */
  readonly rewind?: number;
}

export interface WhisperRecord {
  readonly channel: string;
  /** With the `client-` prefix, as on the wire. */
  readonly event: string;
  readonly data: unknown;
}

/** What `emit` may add to an event's meta: a whisper's sender, or `replayed` (docs/protocol.md §11.1). */
export interface MockEventMeta {
  readonly userId?: string;
  readonly replayed?: boolean;
}

/** A `ReverbClient` with no socket: the app's hooks run unchanged, the test drives the "server". */
export interface MockReverbClient extends ReverbClient {
  /** Delivers an event as if the server sent it; returns how many listeners got it (0 when not subscribed). */
  emit(channel: string, event: string, data?: unknown, meta?: MockEventMeta): number;
  /**
   * A resubscribe's answer on our server (docs/protocol.md §11.1): sets the channel's `recovery` (a gap
   * is `{ recovered: false, replayed, reason }`), then delivers `events` (`[event, data]`) in order,
   * marked `replayed`. Returns how many listener calls there were.
   */
  recover(
    channel: string,
    recovery: StreamRecovery,
    events?: ReadonlyArray<readonly [event: string, data: unknown]>,
  ): number;
  /** An event on `#server-to-user-{id}` for the signed-in user. */
  emitToUser(event: string, data?: unknown, meta?: MockEventMeta): number;
  /** Moves the connection; leaving `connected` marks channels `subscribing` and presence `stale`, returning resubscribes all. */
  setConnectionState(state: ConnectionStatus, patch?: Partial<Omit<ConnectionSnapshot, 'state'>>): void;
  completeSubscription(channel: string, subscriptionCount?: number | null): void;
  failSubscription(channel: string, error?: Partial<ChannelError>): void;
  joinMember<Info = UserInfo>(channel: string, member: PresenceMember<Info>): void;
  leaveMember(channel: string, id: string): void;
  /** Replaces the other members (what a resubscribe after reconnect reports). */
  setMembers<Info = UserInfo>(channel: string, members: ReadonlyArray<PresenceMember<Info>>): void;
  setUser(patch: Partial<UserSnapshot>): void;
  /** Wire log of subscribe/unsubscribe frames, in order. */
  readonly subscriptions: ReadonlyArray<WireRecord>;
  subscribeCount(channel: string): number;
  unsubscribeCount(channel: string): number;
  /** Current holds on a channel (0 when released or pending release). */
  refCount(channel: string): number;
  /** Bound listeners on a channel, for one event or all. */
  listenerCount(channel: string, event?: string): number;
  /** How many times a listener was ever bound to `event` on `channel` (a rebinding hook shows here). */
  bindCount(channel: string, event: string): number;
  isSubscribed(channel: string): boolean;
  /** Whispers sent on the wire, in order. */
  readonly whispers: ReadonlyArray<WhisperRecord>;
  readonly calls: { readonly connect: number; readonly disconnect: number; readonly signin: number };
  /** Resolves after deferred releases have run (a macrotask). */
  flush(): Promise<void>;
}

const IDLE_CONNECTION: ConnectionSnapshot = {
  state: 'initialized',
  socketId: null,
  attempt: 0,
  nextRetryAt: null,
  lastError: null,
};
const SIGNED_OUT: UserSnapshot = {
  status: 'signed-out',
  id: null,
  info: null,
  error: null,
  watchlist: {},
  recovery: null,
};
const EMPTY_PRESENCE: PresenceSnapshot = { members: [], me: null, myId: null, count: 0, stale: false };

class MockChannel implements PresenceChannel {
  readonly state: Store<ChannelSnapshot>;
  readonly presenceStore = createStore<PresenceSnapshot>(EMPTY_PRESENCE);
  readonly bindings = new ListenerMap<EventListener>();
  readonly joins = new ListenerMap<(m: PresenceMember) => void>();
  readonly leaves = new ListenerMap<(m: PresenceMember) => void>();
  queuedWhispers: WhisperRecord[] = [];
  holds = 0;
  releaseTimer: ReturnType<typeof setTimeout> | null = null;
  /** A subscribe frame went out and no unsubscribe since. */
  onWire = false;
  /** The first hold's `rewind`, until the first success. */
  rewind: number | undefined;

  constructor(
    readonly name: string,
    private readonly sendWhisper: (record: WhisperRecord) => void,
  ) {
    const idle: ChannelSnapshot = {
      name,
      status: 'idle',
      error: null,
      subscriptionCount: null,
      recovery: null,
    };
    this.state = createStore(idle);
  }

  get presence() {
    return this.presenceStore;
  }
  subscribe(listener: () => void) {
    return this.state.subscribe(listener);
  }
  getSnapshot() {
    return this.state.getSnapshot();
  }
  getServerSnapshot() {
    return this.state.getServerSnapshot();
  }
  bind<D = unknown>(event: string, listener: EventListener<D>): () => void {
    return this.bindings.add(event, listener as EventListener);
  }
  bindAll(listener: EventListener): () => void {
    return this.bindings.add('*', listener);
  }
  onJoin(listener: (member: PresenceMember) => void) {
    return this.joins.add('*', listener);
  }
  onLeave(listener: (member: PresenceMember) => void) {
    return this.leaves.add('*', listener);
  }
  whisper(event: string, data: unknown): void {
    if (!channelTraits(this.name).allowsClientEvents) {
      throw new ClientEventError(
        'REVERB_ERR_CLIENT_EVENT_CHANNEL',
        `Whispers need a private or presence channel, not ${this.name}`,
      );
    }
    const record = {
      channel: this.name,
      event: event.startsWith(CLIENT_EVENT_PREFIX) ? event : CLIENT_EVENT_PREFIX + event,
      data,
    };
    if (this.getSnapshot().status === 'subscribed') this.sendWhisper(record);
    else this.queuedWhispers.push(record);
  }
  setStatus(status: ChannelStatus, error: ChannelError | null = null, subscriptionCount?: number | null) {
    const prev = this.getSnapshot();
    this.state.set({
      name: this.name,
      status,
      error,
      subscriptionCount: subscriptionCount === undefined ? prev.subscriptionCount : subscriptionCount,
      recovery: status === 'idle' ? null : prev.recovery,
    });
    if (status === 'subscribed') {
      this.rewind = undefined;
      for (const record of this.queuedWhispers.splice(0)) this.sendWhisper(record);
    }
  }
}

/** The core's meta: `userId` and `replayed: true` only when set. */
function eventMeta(event: string, channel: string, meta: MockEventMeta = {}): EventMeta {
  return {
    event,
    channel,
    ...(meta.userId === undefined ? {} : { userId: meta.userId }),
    ...(meta.replayed ? { replayed: true as const } : {}),
  };
}

/**
 * A faithful in-memory `ReverbClient` for tests and stories: ref-counted channels with the core's
 * deferred release, connection/channel statuses, presence snapshots, whispers and a wire log.
 */
export function createMockClient(options: MockClientOptions = {}): MockReverbClient {
  const autoSubscribe = options.autoSubscribe ?? true;
  const me: PresenceMember = options.me ?? { id: '1', info: {} };
  const namespace = options.namespace ?? 'App\\Events';
  const registry = new Map<string, MockChannel>();
  const wire: WireRecord[] = [];
  const whispers: WhisperRecord[] = [];
  const calls = { connect: 0, disconnect: 0, signin: 0 };
  const userBindings = new ListenerMap<EventListener>();
  let socketCounter = 0;

  const initialState = options.state ?? 'connected';
  const firstSocketId = options.socketId ?? '1234.5678';
  // Created idle, so SSR and hydration read the idle snapshot as with the core, then moved to the initial state.
  const connection = createStore<ConnectionSnapshot>(IDLE_CONNECTION);
  connection.set({
    ...IDLE_CONNECTION,
    state: initialState,
    socketId: initialState === 'connected' ? firstSocketId : null,
  });
  const userState = createStore<UserSnapshot>(SIGNED_OUT);
  const isConnected = () => connection.getSnapshot().state === 'connected';

  const sendSubscribe = (channel: MockChannel) => {
    const { name, rewind } = channel;
    wire.push(
      rewind === undefined
        ? { type: 'subscribe', channel: name }
        : { type: 'subscribe', channel: name, rewind },
    );
    channel.onWire = true;
    channel.setStatus('subscribing');
    if (autoSubscribe) succeed(channel);
  };
  const succeed = (channel: MockChannel, subscriptionCount?: number | null) => {
    if (channelTraits(channel.name).isPresence) {
      const prev = channel.presenceStore.getSnapshot();
      const others = prev.me
        ? prev.members.filter((m) => m.id !== me.id)
        : (options.members?.[channel.name] ?? []).filter((m) => m.id !== me.id);
      const members = [me, ...others];
      channel.presenceStore.set({ members, me, myId: me.id, count: members.length, stale: false });
    }
    channel.setStatus('subscribed', null, subscriptionCount);
  };
  const presenceOf = (name: string) => {
    const channel = registry.get(name);
    if (!channel || !channelTraits(name).isPresence) {
      throw new Error(`mock: ${name} is not a held presence channel`);
    }
    return channel;
  };
  const setOthers = (channel: MockChannel, members: ReadonlyArray<PresenceMember>) => {
    const prev = channel.presenceStore.getSnapshot();
    const all = prev.me ? [prev.me, ...members.filter((m) => m.id !== prev.me?.id)] : [...members];
    channel.presenceStore.set({ ...prev, members: all, count: all.length });
  };

  const retain = (name: string, retainOptions?: RetainOptions): RetainedChannel<MockChannel> => {
    assertClientChannelName(name);
    let channel = registry.get(name);
    if (!channel) {
      channel = new MockChannel(name, (record) => whispers.push(record));
      channel.rewind = retainOptions?.rewind;
      registry.set(name, channel);
    }
    const held = channel;
    if (held.releaseTimer !== null) {
      clearTimeout(held.releaseTimer);
      held.releaseTimer = null;
    }
    held.holds += 1;
    if (held.holds === 1 && !held.onWire && isConnected()) sendSubscribe(held);
    else if (held.holds === 1 && !held.onWire) held.setStatus('subscribing');
    let released = false;
    return {
      channel: held,
      release() {
        if (released) return;
        released = true;
        held.holds -= 1;
        if (held.holds > 0) return;
        // Like the core: the unsubscribe waits a macrotask, so StrictMode's remount keeps the subscription.
        held.releaseTimer = setTimeout(() => {
          held.releaseTimer = null;
          if (held.holds > 0) return;
          registry.delete(name);
          if (held.onWire && isConnected()) wire.push({ type: 'unsubscribe', channel: name });
          held.onWire = false;
          held.setStatus('idle');
        }, 0);
      },
    };
  };

  const user: UserStore = {
    // Its `getServerSnapshot` is the initial SIGNED_OUT, as the core's.
    ...userState,
    signin() {
      calls.signin += 1;
      if (userState.getSnapshot().status !== 'signed-in') {
        userState.update({ status: 'signing-in' });
      }
    },
    bind: <D>(event: string, listener: EventListener<D>) =>
      userBindings.add(event, listener as EventListener),
  };

  const client: MockReverbClient = {
    options: { key: 'mock-key', ...options.options },
    connection,
    user,
    connect() {
      calls.connect += 1;
      if (!isConnected()) client.setConnectionState('connected');
    },
    disconnect() {
      calls.disconnect += 1;
      // As the core: `replaced` is left only by `connect()`.
      if (connection.getSnapshot().state !== 'replaced') client.setConnectionState('disconnected');
    },
    sessionReplaced(message = 'Session replaced') {
      if (connection.getSnapshot().state === 'replaced') return;
      client.setConnectionState('replaced', { lastError: { code: 4010, message } });
    },
    retain,
    retainPresence<Info>(name: string, retainOptions?: RetainOptions) {
      if (!channelTraits(name).isPresence) {
        throw new ReverbError('REVERB_ERR_NOT_PRESENCE', `${name} is not a presence channel`);
      }
      return retain(name, retainOptions) as unknown as RetainedChannel<PresenceChannel<Info>>;
    },
    channel: (name) => registry.get(name),
    formatEventName: (event) => formatEventName(event, namespace),

    emit(channelName, event, data, meta) {
      const channel = registry.get(channelName);
      if (channel?.getSnapshot().status !== 'subscribed') return 0;
      const full = eventMeta(event, channelName, meta);
      const listeners = [...channel.bindings.get(event), ...channel.bindings.get('*')];
      for (const listener of listeners) listener(data, full);
      return listeners.length;
    },
    recover(channelName, recovery, events = []) {
      const channel = registry.get(channelName);
      if (!channel) throw new Error(`mock: ${channelName} is not held`);
      channel.state.update({ recovery });
      let delivered = 0;
      for (const [event, data] of events) {
        delivered += client.emit(channelName, event, data, { replayed: true });
      }
      return delivered;
    },
    emitToUser(event, data, meta) {
      const id = userState.getSnapshot().id;
      if (userState.getSnapshot().status !== 'signed-in' || id === null) return 0;
      const listeners = userBindings.get(event);
      const full = eventMeta(event, serverToUserChannel(id), meta);
      for (const listener of listeners) listener(data, full);
      return listeners.length;
    },
    setConnectionState(state, patch = {}) {
      const prev = connection.getSnapshot();
      const connected = state === 'connected';
      connection.set({
        state,
        socketId: connected
          ? (patch.socketId ?? (prev.socketId || `${firstSocketId}${socketCounter++ || ''}`))
          : null,
        attempt: patch.attempt ?? (connected ? 0 : prev.attempt),
        nextRetryAt: patch.nextRetryAt ?? null,
        lastError: patch.lastError === undefined ? (connected ? null : prev.lastError) : patch.lastError,
      });
      if (connected && prev.state !== 'connected') {
        for (const channel of registry.values()) if (channel.holds > 0) sendSubscribe(channel);
      } else if (!connected && prev.state === 'connected') {
        for (const channel of registry.values()) {
          channel.onWire = false;
          if (channel.holds === 0) continue;
          channel.setStatus('subscribing');
          const presence = channel.presenceStore.getSnapshot();
          if (presence.me) channel.presenceStore.set({ ...presence, stale: true });
        }
      }
    },
    completeSubscription(name, subscriptionCount) {
      const channel = registry.get(name);
      if (!channel) throw new Error(`mock: ${name} is not held`);
      succeed(channel, subscriptionCount);
    },
    failSubscription(name, error = {}) {
      const channel = registry.get(name);
      if (!channel) throw new Error(`mock: ${name} is not held`);
      channel.setStatus('error', {
        type: error.type ?? 'AuthError',
        message: error.message ?? 'Unable to authorize',
        status: error.status ?? 403,
      });
    },
    joinMember(name, member) {
      const channel = presenceOf(name);
      const prev = channel.presenceStore.getSnapshot();
      const existing = prev.members.some((m) => m.id === member.id);
      const members = existing
        ? prev.members.map((m) => (m.id === member.id ? (member as PresenceMember) : m))
        : [...prev.members, member as PresenceMember];
      channel.presenceStore.set({ ...prev, members, count: members.length });
      if (!existing) for (const listener of channel.joins.get('*')) listener(member as PresenceMember);
    },
    leaveMember(name, id) {
      const channel = presenceOf(name);
      const prev = channel.presenceStore.getSnapshot();
      const member = prev.members.find((m) => m.id === id);
      if (!member) return;
      const members = prev.members.filter((m) => m.id !== id);
      channel.presenceStore.set({ ...prev, members, count: members.length });
      for (const listener of channel.leaves.get('*')) listener(member);
    },
    setMembers(name, members) {
      setOthers(presenceOf(name), members as ReadonlyArray<PresenceMember>);
    },
    setUser(patch) {
      userState.set({ ...userState.getSnapshot(), ...patch });
    },
    get subscriptions() {
      return [...wire];
    },
    subscribeCount: (name) => wire.filter((r) => r.type === 'subscribe' && r.channel === name).length,
    unsubscribeCount: (name) => wire.filter((r) => r.type === 'unsubscribe' && r.channel === name).length,
    refCount: (name) => registry.get(name)?.holds ?? 0,
    listenerCount: (name, event) => {
      const channel = registry.get(name);
      if (!channel) return 0;
      return event === undefined ? channel.bindings.count() : channel.bindings.count(event);
    },
    bindCount: (name, event) => registry.get(name)?.bindings.addedCount(event) ?? 0,
    isSubscribed: (name) => registry.get(name)?.getSnapshot().status === 'subscribed',
    get whispers() {
      return [...whispers];
    },
    get calls() {
      return { ...calls };
    },
    flush: () => new Promise((resolve) => setTimeout(resolve, 1)),
  };
  return client;
}
