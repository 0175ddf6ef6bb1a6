import type { PresenceMember, StreamRecovery } from '@react-reverb/core';
import { BROADCAST_NOTIFICATION_EVENT } from 'react-reverb';
import type { MockReverbClient } from 'react-reverb/testing';
import { createToastStore, NotificationToast, type ToastInput } from 'react-reverb/toast';
import { LOBBY_CHANNEL, NotificationType, userChannel } from '../shared/names';
import type { User } from '../src/api';
import type { AvatarInfo } from '../src/components/Avatar';
import { ConnectionIndicator } from '../src/components/ConnectionIndicator';
import { Dashboard, type DashboardActions, notificationToast } from '../src/components/Dashboard';
import { LoginPage } from '../src/components/LoginPage';
import { MessageComposer } from '../src/components/MessageComposer';
import { type DemoNotification, NotificationsPanel } from '../src/components/NotificationsPanel';
import { OnlineUsers } from '../src/components/OnlineUsers';
import { RealtimeUserBadge } from '../src/components/RealtimeUserBadge';
import { SIGNED_IN_ELSEWHERE } from '../src/session';
import { listening, type Story, WithMock } from './Preview';

const ADA: User = {
  id: '1',
  name: 'Ada Lovelace',
  email: 'ada@example.com',
  initials: 'AL',
  color: '#7c3aed',
};
const GRACE: User = {
  id: '2',
  name: 'Grace Hopper',
  email: 'grace@example.com',
  initials: 'GH',
  color: '#0891b2',
};
const ALAN: User = {
  id: '3',
  name: 'Alan Turing',
  email: 'alan@example.com',
  initials: 'AT',
  color: '#16a34a',
};
const USERS = [ADA, GRACE, ALAN];

const member = (u: User): PresenceMember<AvatarInfo> => ({
  id: u.id,
  info: { name: u.name, initials: u.initials, color: u.color },
});
const me: PresenceMember = member(ADA);
const ADA_CHANNEL = userChannel(ADA.id);

let sequence = 0;
function notification(type: string, title: string, body: string): DemoNotification {
  sequence += 1;
  return { id: `00000000-0000-4000-8000-${String(sequence).padStart(12, '0')}`, type, title, body };
}
const shipped = () =>
  notification(NotificationType.orderShipped, 'Order #1042 shipped', 'Your parcel is on its way.');
const message = () =>
  notification(NotificationType.messageReceived, 'Message from Grace Hopper', 'Lunch at noon?');
const reminder = () =>
  notification(NotificationType.reminder, 'Stand-up in 5 minutes', 'Sent by the backend timer.');
const nudge = () => notification(NotificationType.nudged, 'Grace Hopper nudged you', 'Say hi back?');

/** What the backend's `/api/notifications` answers in the gap stories (newest first). */
const inbox: readonly DemoNotification[] = [nudge(), message(), shipped(), reminder()];
const refetchInbox = async () => inbox;

/**
 * A reconnect on our server, as the notifications channel sees it: one live notification first, the
 * socket drops, comes back, and the resubscribe's answer replays `missed` (marked replayed).
 */
const reconnectWith =
  (recovery: StreamRecovery, missed: readonly DemoNotification[]) => (m: MockReverbClient) => {
    m.emit(ADA_CHANNEL, BROADCAST_NOTIFICATION_EVENT, inbox[3]);
    m.setConnectionState('reconnecting', { attempt: 1 });
    m.setConnectionState('connected');
    m.recover(
      ADA_CHANNEL,
      recovery,
      missed.map((n) => [BROADCAST_NOTIFICATION_EVENT, n] as const),
    );
  };

/** A toast region on its own store, with toasts that stay (a story is a still picture). */
function ToastStory({ toasts, limit }: { toasts: ToastInput[]; limit?: number }) {
  const store = createToastStore();
  for (const t of toasts) store.show({ ...t, duration: Number.POSITIVE_INFINITY });
  return (
    <WithMock>
      <NotificationToast store={store} hotkey={false} {...(limit ? { limit } : {})} />
    </WithMock>
  );
}

const noop = async () => {};
const actions: DashboardActions = {
  sendMessage: noop,
  nudge: noop,
  shipOrder: noop,
  logout: noop,
  logoutOthers: noop,
  notifications: refetchInbox,
  sessionAlive: async () => true,
  sessionEnded: () => {},
};

const connection = (id: string, name: string, drive?: Parameters<typeof WithMock>[0]['drive']): Story => ({
  id: `connection-${id}`,
  group: 'ConnectionIndicator (useConnectionState)',
  name,
  render: () => (
    <WithMock options={{ state: 'connecting' }} {...(drive ? { drive } : {})}>
      <ConnectionIndicator />
    </WithMock>
  ),
});

export const stories: readonly Story[] = [
  connection('connected', 'connected', (m) => m.setConnectionState('connected')),
  connection('connecting', 'connecting'),
  connection('reconnecting', 'reconnecting in N s', (m) =>
    m.setConnectionState('reconnecting', {
      attempt: 2,
      nextRetryAt: Date.now() + 30_000,
      lastError: { code: 1006, message: 'Connection closed abnormally' },
    }),
  ),
  connection('reconnecting-now', 'reconnecting (no timer)', (m) =>
    m.setConnectionState('reconnecting', { attempt: 1 }),
  ),
  connection('offline', 'offline', (m) => m.setConnectionState('disconnected')),
  connection('terminated', 'offline after terminate_connections (4009)', (m) =>
    m.setConnectionState('disconnected', { lastError: { code: 4009, message: 'Connection terminated' } }),
  ),
  connection('replaced', 'replaced: signed in on another device (4010)', (m) => {
    m.setConnectionState('connected');
    m.sessionReplaced();
  }),

  ...(['info', 'success', 'warning', 'error'] as const).map<Story>((kind) => ({
    id: `toast-${kind}`,
    group: 'NotificationToast',
    name: kind,
    height: 140,
    render: () => (
      <ToastStory
        toasts={[
          {
            id: kind,
            kind,
            title: `${kind === 'info' || kind === 'error' ? 'An' : 'A'} ${kind} toast`,
            message: 'With a message under its title.',
          },
        ]}
      />
    ),
  })),
  {
    id: 'toast-stacked',
    group: 'NotificationToast',
    name: 'stacked (limit 3 of 4)',
    height: 320,
    render: () => (
      <ToastStory
        limit={3}
        toasts={[shipped(), message(), reminder(), shipped()].map((n) => notificationToast(n) as ToastInput)}
      />
    ),
  },
  {
    id: 'toast-from-channel',
    group: 'NotificationToast',
    name: 'fed by a Laravel notification channel',
    height: 140,
    render: () => {
      const store = createToastStore({ duration: Number.POSITIVE_INFINITY });
      return (
        <WithMock
          ready={listening(ADA_CHANNEL, BROADCAST_NOTIFICATION_EVENT)}
          drive={(m) => m.emit(ADA_CHANNEL, BROADCAST_NOTIFICATION_EVENT, shipped())}
        >
          <NotificationToast source={ADA_CHANNEL} format={notificationToast} store={store} hotkey={false} />
        </WithMock>
      );
    },
  },
  {
    id: 'toast-session-replaced',
    group: 'NotificationToast',
    name: 'kick-out: signed in on another device',
    height: 140,
    render: () => {
      // The toast's own 10 s would end the still picture: the store keeps it.
      const store = createToastStore({ duration: Number.POSITIVE_INFINITY });
      return (
        <WithMock drive={(m) => m.sessionReplaced()}>
          <NotificationToast hotkey={false} store={store} sessionReplaced={SIGNED_IN_ELSEWHERE} />
        </WithMock>
      );
    },
  },

  {
    id: 'notifications-empty',
    group: 'NotificationsPanel (useNotifications)',
    name: 'empty',
    render: () => (
      <WithMock>
        <NotificationsPanel channel={ADA_CHANNEL} refetch={refetchInbox} />
      </WithMock>
    ),
  },
  {
    id: 'notifications-subscribing',
    group: 'NotificationsPanel (useNotifications)',
    name: 'subscribing',
    render: () => (
      <WithMock options={{ autoSubscribe: false }}>
        <NotificationsPanel channel={ADA_CHANNEL} refetch={refetchInbox} />
      </WithMock>
    ),
  },
  {
    id: 'notifications-error',
    group: 'NotificationsPanel (useNotifications)',
    name: 'auth refused',
    render: () => (
      <WithMock
        options={{ autoSubscribe: false }}
        ready={(m) => m.refCount(ADA_CHANNEL) > 0}
        drive={(m) => m.failSubscription(ADA_CHANNEL, { message: 'Forbidden', status: 403 })}
      >
        <NotificationsPanel channel={ADA_CHANNEL} refetch={refetchInbox} />
      </WithMock>
    ),
  },
  {
    id: 'notifications-unread',
    group: 'NotificationsPanel (useNotifications)',
    name: 'three unread',
    render: () => (
      <WithMock
        ready={listening(ADA_CHANNEL, BROADCAST_NOTIFICATION_EVENT)}
        drive={(m) => {
          for (const n of [reminder(), message(), shipped()])
            m.emit(ADA_CHANNEL, BROADCAST_NOTIFICATION_EVENT, n);
        }}
      >
        <NotificationsPanel channel={ADA_CHANNEL} refetch={refetchInbox} />
      </WithMock>
    ),
  },

  {
    id: 'notifications-recovered',
    group: 'NotificationsPanel (useNotifications)',
    name: 'recovered after a reconnect (2 replayed)',
    render: () => (
      <WithMock
        ready={listening(ADA_CHANNEL, BROADCAST_NOTIFICATION_EVENT)}
        drive={reconnectWith({ recovered: true, replayed: 2 }, inbox.slice(1, 3).reverse())}
      >
        <NotificationsPanel channel={ADA_CHANNEL} refetch={refetchInbox} />
      </WithMock>
    ),
  },
  {
    id: 'notifications-gap',
    group: 'NotificationsPanel (useNotifications)',
    name: 'gap after a reconnect (expired), with the refetch',
    render: () => (
      <WithMock
        ready={listening(ADA_CHANNEL, BROADCAST_NOTIFICATION_EVENT)}
        drive={reconnectWith({ recovered: false, replayed: 1, reason: 'expired' }, inbox.slice(0, 1))}
      >
        <NotificationsPanel channel={ADA_CHANNEL} refetch={refetchInbox} />
      </WithMock>
    ),
  },

  {
    id: 'presence-joining',
    group: 'OnlineUsers (usePresence, useListenForWhisper)',
    name: 'joining',
    render: () => (
      <WithMock options={{ me, autoSubscribe: false }}>
        <OnlineUsers channel={LOBBY_CHANNEL} />
      </WithMock>
    ),
  },
  {
    id: 'presence-alone',
    group: 'OnlineUsers (usePresence, useListenForWhisper)',
    name: 'only me',
    render: () => (
      <WithMock options={{ me }}>
        <OnlineUsers channel={LOBBY_CHANNEL} />
      </WithMock>
    ),
  },
  {
    id: 'presence-three',
    group: 'OnlineUsers (usePresence, useListenForWhisper)',
    name: 'three online',
    render: () => (
      <WithMock options={{ me, members: { [LOBBY_CHANNEL]: [member(GRACE), member(ALAN)] } }}>
        <OnlineUsers channel={LOBBY_CHANNEL} />
      </WithMock>
    ),
  },
  {
    id: 'presence-typing',
    group: 'OnlineUsers (usePresence, useListenForWhisper)',
    name: 'someone typing (whisper)',
    render: () => (
      <WithMock
        options={{ me, members: { [LOBBY_CHANNEL]: [member(GRACE)] } }}
        ready={listening(LOBBY_CHANNEL, 'client-typing')}
        drive={(m) => {
          // Keep the indicator on for the still picture: whisper again before it expires.
          const whisper = () =>
            m.emit(LOBBY_CHANNEL, 'client-typing', { name: GRACE.name }, { userId: GRACE.id });
          whisper();
          setInterval(whisper, 1000);
        }}
      >
        <OnlineUsers channel={LOBBY_CHANNEL} />
      </WithMock>
    ),
  },
  {
    id: 'presence-stale',
    group: 'OnlineUsers (usePresence, useListenForWhisper)',
    name: 'stale while reconnecting',
    render: () => (
      <WithMock
        options={{ me, members: { [LOBBY_CHANNEL]: [member(GRACE)] } }}
        drive={(m) => m.setConnectionState('reconnecting', { attempt: 1 })}
      >
        <OnlineUsers channel={LOBBY_CHANNEL} />
      </WithMock>
    ),
  },
  {
    id: 'presence-error',
    group: 'OnlineUsers (usePresence, useListenForWhisper)',
    name: 'auth refused',
    render: () => (
      <WithMock
        options={{ me, autoSubscribe: false }}
        drive={(m) =>
          m.failSubscription(LOBBY_CHANNEL, { message: 'Not allowed on presence-lobby', status: 403 })
        }
      >
        <OnlineUsers channel={LOBBY_CHANNEL} />
      </WithMock>
    ),
  },

  ...(
    [
      ['signed-out', {}],
      ['signing-in', { status: 'signing-in' }],
      ['signed-in', { status: 'signed-in', id: ADA.id, info: { name: ADA.name } }],
      ['error', { status: 'error', error: { code: 4009, message: 'Unauthorized' } }],
    ] as const
  ).map<Story>(([id, patch]) => ({
    id: `user-${id}`,
    group: 'RealtimeUserBadge (useUser)',
    name: id,
    render: () => (
      <WithMock drive={(m) => m.setUser(patch)}>
        <RealtimeUserBadge />
      </WithMock>
    ),
  })),

  {
    id: 'composer',
    group: 'MessageComposer (useWhisper)',
    name: 'default',
    render: () => (
      <WithMock options={{ me }}>
        <MessageComposer me={ADA} users={USERS} channel={LOBBY_CHANNEL} onSend={noop} onNudge={noop} />
      </WithMock>
    ),
  },

  {
    id: 'login',
    group: 'LoginPage',
    name: 'default',
    render: () => (
      <WithMock>
        <LoginPage onLogin={noop} />
      </WithMock>
    ),
  },
  {
    id: 'login-kicked',
    group: 'LoginPage',
    name: 'after a kick-out',
    render: () => (
      <WithMock>
        <LoginPage onLogin={noop} notice="You were signed in on another device" />
      </WithMock>
    ),
  },

  {
    id: 'dashboard',
    group: 'Dashboard',
    name: 'signed in, live',
    height: 560,
    render: () => (
      <WithMock
        options={{ me, members: { [LOBBY_CHANNEL]: [member(GRACE), member(ALAN)] } }}
        ready={listening(ADA_CHANNEL, BROADCAST_NOTIFICATION_EVENT)}
        drive={(m) => {
          m.setUser({ status: 'signed-in', id: ADA.id, info: { name: ADA.name } });
          m.emit(ADA_CHANNEL, BROADCAST_NOTIFICATION_EVENT, message());
          m.emit(ADA_CHANNEL, BROADCAST_NOTIFICATION_EVENT, shipped());
        }}
      >
        <Dashboard
          me={ADA}
          users={USERS}
          lobbyChannel={LOBBY_CHANNEL}
          actions={actions}
          toastStore={createToastStore({ duration: Number.POSITIVE_INFINITY })}
        />
      </WithMock>
    ),
  },
  {
    id: 'dashboard-replaced',
    group: 'Dashboard',
    name: 'replaced: signed in on another device',
    height: 560,
    render: () => (
      <WithMock
        options={{ me, members: { [LOBBY_CHANNEL]: [member(GRACE)] } }}
        ready={listening(ADA_CHANNEL, BROADCAST_NOTIFICATION_EVENT)}
        drive={(m) => {
          m.setUser({ status: 'signed-in', id: ADA.id, info: { name: ADA.name } });
          m.emit(ADA_CHANNEL, BROADCAST_NOTIFICATION_EVENT, message());
          // What our server's `reverb:session_replaced` + close 4010 do to the client.
          m.sessionReplaced();
        }}
      >
        <Dashboard
          me={ADA}
          users={USERS}
          lobbyChannel={LOBBY_CHANNEL}
          actions={actions}
          toastStore={createToastStore({ duration: Number.POSITIVE_INFINITY })}
        />
      </WithMock>
    ),
  },
];
