import { act } from '@testing-library/react';
import { hydrateRoot } from 'react-dom/client';
import { renderToString } from 'react-dom/server';
import { useChannel, useConnectionState } from 'react-reverb';
import { createMockClient, type MockReverbClient, MockReverbProvider } from 'react-reverb/testing';
import { describe, expect, it } from 'vitest';

function Status() {
  const { state } = useConnectionState();
  const { status } = useChannel('orders');
  return <p>{`${state}|${status}`}</p>;
}

const app = (client: MockReverbClient) => (
  <MockReverbProvider client={client}>
    <Status />
  </MockReverbProvider>
);

describe('hydration', () => {
  it('hydrates the server HTML without a mismatch, then shows the live state', async () => {
    const container = document.createElement('div');
    container.innerHTML = renderToString(app(createMockClient()));
    expect(container.textContent).toBe('initialized|idle');
    document.body.append(container);

    // The browser's client is already connected: hydration must still start from the server snapshot.
    const client = createMockClient({ state: 'connected' });
    const recoverable: unknown[] = [];
    await act(async () => {
      hydrateRoot(container, app(client), { onRecoverableError: (error) => recoverable.push(error) });
    });
    expect(recoverable).toEqual([]);
    expect(container.textContent).toBe('connected|subscribed');
    expect(client.subscribeCount('orders')).toBe(1);
  });
});
