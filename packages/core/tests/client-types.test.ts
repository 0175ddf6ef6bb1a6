/**
 * Type-level checks of the public contract (run by `tsc` in check-types; the runtime part only proves
 * the file loads). `ReverbEvents` is augmented here as an app would.
 */
import { describe, expectTypeOf, it } from 'vitest';
import {
  type Channel,
  type ConnectionSnapshot,
  createReverbClient,
  type EventMeta,
  type EventPayload,
  type PresenceSnapshot,
} from '../src/index';

declare module '../src/client/types' {
  interface ReverbEvents {
    '.TypesTestShipped': { readonly id: number };
  }
}

describe('types', () => {
  it('infers payloads from ReverbEvents and keeps explicit type arguments working', () => {
    const client = createReverbClient({ key: 'k', host: 'h', autoConnect: false });
    const { channel } = client.retain('orders');
    channel.bind('.TypesTestShipped', (data, meta) => {
      expectTypeOf(data).toEqualTypeOf<{ readonly id: number }>();
      expectTypeOf(meta).toEqualTypeOf<EventMeta>();
    });
    channel.bind<{ n: number }>('anything', (data) => {
      expectTypeOf(data).toEqualTypeOf<{ n: number }>();
    });
    channel.bind('untyped', (data) => {
      expectTypeOf(data).toBeUnknown();
    });
    expectTypeOf<EventPayload<'.TypesTestShipped'>>().toEqualTypeOf<{ readonly id: number }>();
    expectTypeOf<EventPayload<'other'>>().toBeUnknown();
  });

  it('types presence members and the stores', () => {
    const client = createReverbClient({ key: 'k', host: 'h', autoConnect: false });
    const room = client.retainPresence<{ name: string }>('presence-room');
    expectTypeOf(room.channel.presence.getSnapshot()).toEqualTypeOf<PresenceSnapshot<{ name: string }>>();
    expectTypeOf(client.connection.getSnapshot()).toEqualTypeOf<ConnectionSnapshot>();
    expectTypeOf(client.channel('orders')).toEqualTypeOf<Channel | undefined>();
  });
});
