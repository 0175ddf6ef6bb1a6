import { act, renderHook } from '@testing-library/react';
import type { ReactNode } from 'react';
import { createReverbHooks } from 'react-reverb';
import { createMockClient, type MockReverbClient, MockReverbProvider } from 'react-reverb/testing';
import { describe, expect, expectTypeOf, it } from 'vitest';

interface AppChannels {
  [orders: `private-orders.${number}`]: {
    OrderShipped: { id: number; carrier: string };
    'client-typing': { typing: boolean };
  };
  news: { Published: { title: string } };
}

const { useEvent, useWhisper, useListenForWhisper } = createReverbHooks<AppChannels>();

const wrap =
  (client: MockReverbClient) =>
  ({ children }: { children: ReactNode }) => (
    <MockReverbProvider client={client}>{children}</MockReverbProvider>
  );

describe('createReverbHooks (typed schema)', () => {
  it('types payloads by channel pattern and event, and runs the ordinary hooks', () => {
    const client = createMockClient();
    const shipped: string[] = [];
    const orderId: number = 7;
    const { result } = renderHook(
      () => {
        useEvent(`private-orders.${orderId}`, 'OrderShipped', (data) => {
          expectTypeOf(data).toEqualTypeOf<{ id: number; carrier: string }>();
          shipped.push(`${data.id} by ${data.carrier}`);
        });
        useEvent('news', 'Published', (data) => expectTypeOf(data.title).toBeString());
        useListenForWhisper(`private-orders.${orderId}`, 'typing', (data) => {
          expectTypeOf(data).toEqualTypeOf<{ typing: boolean }>();
        });
        // @ts-expect-error: no such event on an orders channel
        useEvent(`private-orders.${orderId}`, 'Published', () => {});
        // @ts-expect-error: no such channel in the schema
        useEvent('private-unknown', 'OrderShipped', () => {});
        return useWhisper(`private-orders.${orderId}`, 'typing');
      },
      { wrapper: wrap(client) },
    );
    // @ts-expect-error: wrong whisper payload
    expect(() => result.current({ typing: 'yes' })).not.toThrow();
    act(() => result.current({ typing: true }));
    act(() => void client.emit('private-orders.7', 'OrderShipped', { id: 7, carrier: 'DHL' }));
    expect(shipped).toEqual(['7 by DHL']);
    expect(client.whispers.map((w) => w.event)).toEqual(['client-typing', 'client-typing']);
  });
});
