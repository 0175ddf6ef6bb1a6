import type { ReverbClient, ReverbClientOptions } from '@react-reverb/core';
import { type EchoHold, holdEchoChannel } from './channel';
import { toEchoStatus } from './status';
import type { ConnectionStatus, EchoChannel, EchoPresenceChannel, EchoPrivateChannel } from './types';

/**
 * What `echo()` returns: laravel-echo's `Echo` API over one of our clients. Its channels are holds of
 * its own, one per name (laravel-echo's channel table): `leave`/`leaveChannel` let go of those and never
 * of a hook's, so a component still on the channel keeps it.
 */
export interface Echo {
  readonly options: ReverbClientOptions;
  /** Our client underneath (the escape hatch; laravel-echo's is `connector.pusher`). */
  readonly client: ReverbClient;
  /** Part of laravel-echo's connector: status changes and user sign-in (`signin()` as pusher-js's). */
  readonly connector: {
    onConnectionChange(callback: (status: ConnectionStatus) => void): () => void;
    signin(): void;
  };
  channel(name: string): EchoChannel;
  private(name: string): EchoPrivateChannel;
  encryptedPrivate(name: string): EchoPrivateChannel;
  join(name: string): EchoPresenceChannel;
  listen(channel: string, event: string, callback: CallableFunction): EchoChannel;
  /** Leaves `name` and its `private-`, `private-encrypted-` and `presence-` variants. */
  leave(name: string): void;
  /** Leaves one channel by its wire name (`private-orders.1`). */
  leaveChannel(name: string): void;
  leaveAllChannels(): void;
  socketId(): string | undefined;
  connectionStatus(): ConnectionStatus;
  connect(): void;
  disconnect(): void;
}

const facades = new WeakMap<ReverbClient, Echo>();

/** The one `Echo` of a client. */
export function echoFor(client: ReverbClient): Echo {
  const known = facades.get(client);
  if (known) return known;
  const holds = new Map<string, EchoHold>();
  const status = () => toEchoStatus(client.connection.getSnapshot().state);
  const hold = (name: string) => {
    let entry = holds.get(name);
    if (!entry) {
      entry = holdEchoChannel(client, name, () => echo.leaveChannel(name));
      holds.set(name, entry);
    }
    return entry.handle;
  };
  const echo: Echo = {
    options: client.options,
    client,
    connector: {
      onConnectionChange(callback) {
        let last = status();
        return client.connection.subscribe(() => {
          if (status() === last) return;
          last = status();
          callback(last);
        });
      },
      signin: () => client.user.signin(),
    },
    channel: hold,
    private: (name) => hold(`private-${name}`),
    encryptedPrivate: (name) => hold(`private-encrypted-${name}`),
    join: (name) => hold(`presence-${name}`),
    listen: (channel, event, callback) => hold(channel).listen(event, callback),
    leave(name) {
      for (const prefix of ['', 'private-', 'private-encrypted-', 'presence-'])
        echo.leaveChannel(prefix + name);
    },
    leaveChannel(name) {
      const entry = holds.get(name);
      if (!entry) return;
      holds.delete(name);
      entry.release();
    },
    leaveAllChannels() {
      for (const name of [...holds.keys()]) echo.leaveChannel(name);
    },
    socketId: () => client.connection.getSnapshot().socketId ?? undefined,
    connectionStatus: status,
    connect: () => client.connect(),
    disconnect: () => client.disconnect(),
  };
  facades.set(client, echo);
  return echo;
}
