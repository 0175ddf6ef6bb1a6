import type { ConnectionStatus as OurStatus } from '@react-reverb/core';
import { act, cleanup, renderHook } from '@testing-library/react';
import type { ReactNode } from 'react';
import {
  type ConnectionStatus,
  configureEcho,
  echo,
  useConnectionStatus,
  useSocketId,
} from 'react-reverb/echo';
import { createMockClient, type MockReverbClient, MockReverbProvider } from 'react-reverb/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { resetEcho } from '../../src/echo/config';

const wrap =
  (client: MockReverbClient) =>
  ({ children }: { children: ReactNode }) => (
    <MockReverbProvider client={client}>{children}</MockReverbProvider>
  );

afterEach(() => {
  cleanup();
  resetEcho();
});

// Ours → echo-react's five. `replaced`: a newer sign-in closed this session (docs/protocol.md §11.2).
const MAPPING: Array<[OurStatus, ConnectionStatus]> = [
  ['initialized', 'disconnected'],
  ['connecting', 'connecting'],
  ['connected', 'connected'],
  ['unavailable', 'reconnecting'],
  ['reconnecting', 'reconnecting'],
  ['disconnected', 'disconnected'],
  ['failed', 'failed'],
  ['replaced', 'disconnected'],
];

describe('useConnectionStatus and useSocketId', () => {
  it.each(MAPPING)('our %s is echo-react’s %s', (ours, theirs) => {
    const client = createMockClient({ state: 'connecting' });
    const { result } = renderHook(() => useConnectionStatus(), { wrapper: wrap(client) });
    act(() => client.setConnectionState(ours));
    expect(result.current).toBe(theirs);
  });

  it('follows the connection, with the socket id only while connected', () => {
    const client = createMockClient({ state: 'connecting', socketId: '11.22' });
    const { result } = renderHook(() => ({ status: useConnectionStatus(), id: useSocketId() }), {
      wrapper: wrap(client),
    });
    expect(result.current).toEqual({ status: 'connecting', id: undefined });
    act(() => client.setConnectionState('connected', { socketId: '11.22' }));
    expect(result.current).toEqual({ status: 'connected', id: '11.22' });
    act(() => client.setConnectionState('reconnecting', { attempt: 1 }));
    expect(result.current).toEqual({ status: 'reconnecting', id: undefined });
  });

  it("echo().connectionStatus(), socketId() and connector.onConnectionChange, once per change of echo-react's status", () => {
    const client = createMockClient({ socketId: '3.4' });
    configureEcho({ broadcaster: 'reverb', client });
    expect(echo().connectionStatus()).toBe('connected');
    expect(echo().socketId()).toBe('3.4');
    const seen: ConnectionStatus[] = [];
    const off = echo().connector.onConnectionChange((s) => seen.push(s));
    client.setConnectionState('reconnecting', { attempt: 1 });
    client.setConnectionState('unavailable', { attempt: 2 }); // still echo-react's reconnecting
    client.setConnectionState('connected');
    off();
    client.setConnectionState('disconnected');
    expect(seen).toEqual(['reconnecting', 'connected']);
  });
});
