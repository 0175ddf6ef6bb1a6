import { ClientEventError, ReverbError } from '@react-reverb/core';
import { createMockClient } from 'react-reverb/testing';
import { describe, expect, it } from 'vitest';

describe('createMockClient', () => {
  it('ref-counts holds and unsubscribes a macrotask after the last release', async () => {
    const client = createMockClient();
    const a = client.retain('orders');
    const b = client.retain('orders');
    expect(a.channel).toBe(b.channel);
    expect(client.refCount('orders')).toBe(2);
    a.release();
    a.release(); // idempotent
    expect(client.refCount('orders')).toBe(1);
    b.release();
    const again = client.retain('orders'); // re-held before the deferred release ran
    await client.flush();
    expect(client.subscriptions).toEqual([{ type: 'subscribe', channel: 'orders' }]);
    again.release();
    await client.flush();
    expect(client.subscriptions.at(-1)).toEqual({ type: 'unsubscribe', channel: 'orders' });
    expect(client.channel('orders')).toBeUndefined();
  });

  it('subscribes only once connected, and marks channels subscribing while away', () => {
    const client = createMockClient({ state: 'connecting' });
    const hold = client.retain('orders');
    expect(hold.channel.getSnapshot().status).toBe('subscribing');
    expect(client.subscriptions).toEqual([]);
    client.setConnectionState('connected');
    expect(hold.channel.getSnapshot().status).toBe('subscribed');
    expect(client.connection.getSnapshot().socketId).toMatch(/^\d+\.\d+/);
    client.setConnectionState('unavailable', { lastError: { code: null, message: 'offline' } });
    expect(hold.channel.getSnapshot().status).toBe('subscribing');
    expect(client.connection.getSnapshot()).toMatchObject({ state: 'unavailable', socketId: null });
  });

  it('drops events for channels that are not subscribed, like the wire', () => {
    const client = createMockClient({ autoSubscribe: false });
    const hold = client.retain('orders');
    const got: unknown[] = [];
    hold.channel.bind('e', (d) => got.push(d));
    expect(client.emit('orders', 'e', 1)).toBe(0);
    client.completeSubscription('orders', 3);
    expect(hold.channel.getSnapshot()).toMatchObject({ status: 'subscribed', subscriptionCount: 3 });
    expect(client.emit('orders', 'e', 2)).toBe(1);
    expect(client.emit('nobody', 'e', 3)).toBe(0);
    expect(got).toEqual([2]);
  });

  it('keeps presence members with me first, and fires join/leave once', () => {
    const client = createMockClient({
      me: { id: 'me', info: {} },
      members: { 'presence-x': [{ id: 'a', info: {} }] },
    });
    const { channel } = client.retainPresence('presence-x');
    const seen: string[] = [];
    channel.onJoin((m) => seen.push(`+${m.id}`));
    channel.onLeave((m) => seen.push(`-${m.id}`));
    client.joinMember('presence-x', { id: 'b', info: {} });
    client.joinMember('presence-x', { id: 'b', info: { updated: true } }); // second connection of b
    client.leaveMember('presence-x', 'a');
    client.leaveMember('presence-x', 'zz');
    expect(channel.presence.getSnapshot()).toMatchObject({ myId: 'me', count: 2, stale: false });
    expect(channel.presence.getSnapshot().members.map((m) => m.id)).toEqual(['me', 'b']);
    expect(seen).toEqual(['+b', '-a']);
    expect(() => client.retainPresence('private-x')).toThrow(ReverbError);
  });

  it('checks names and whisper channels like the core', () => {
    const client = createMockClient();
    expect(() => client.retain('bad name!')).toThrow(/Cannot subscribe/);
    expect(() => client.retain('#server-to-user-1')).toThrow(/reserved/);
    expect(() => client.retain('private-encrypted-x').channel.whisper('t', 1)).toThrow(ClientEventError);
    client.retain('private-x').channel.whisper('client-t', 1);
    expect(client.whispers).toEqual([{ channel: 'private-x', event: 'client-t', data: 1 }]);
  });

  it('records connect, disconnect and sign-in, and sends user events only when signed in', () => {
    const client = createMockClient({ state: 'disconnected' });
    client.connect();
    client.user.signin();
    const got: unknown[] = [];
    client.user.bind('ping', (d) => got.push(d));
    expect(client.emitToUser('ping', 1)).toBe(0);
    client.setUser({ status: 'signed-in', id: '5' });
    expect(client.emitToUser('ping', 2)).toBe(1);
    client.disconnect();
    expect(client.calls).toEqual({ connect: 1, disconnect: 1, signin: 1 });
    expect(got).toEqual([2]);
    expect(client.formatEventName('OrderShipped')).toBe('App\\Events\\OrderShipped');
    expect(client.connection.getServerSnapshot().state).toBe('initialized');
  });
});
