// @vitest-environment node
import { renderToString } from 'react-dom/server';
import {
  ReverbProvider,
  useChannel,
  useConnectionState,
  useNotifications,
  usePresence,
  useSocketId,
  useUser,
} from 'react-reverb';
import { createMockClient, MockReverbProvider } from 'react-reverb/testing';
import { NotificationToast } from 'react-reverb/toast';
import { describe, expect, it } from 'vitest';

function App() {
  const connection = useConnectionState();
  const socketId = useSocketId();
  const channel = useChannel('orders');
  const presence = usePresence('presence-room');
  const user = useUser();
  const { notifications } = useNotifications('private-App.Models.User.1');
  return (
    <main>
      <p>
        {`${connection.state}|${socketId}|${channel.status}|${presence.count}|${user.status}|${notifications.length}`}
      </p>
      <NotificationToast />
    </main>
  );
}

describe('server rendering', () => {
  it('renders the idle snapshot without a window and without subscribing', () => {
    expect(typeof window).toBe('undefined');
    expect(typeof document).toBe('undefined');
    // The client itself says "connected": the server snapshot must win during SSR.
    const client = createMockClient({ state: 'connected' });
    const html = renderToString(
      <MockReverbProvider client={client}>
        <App />
      </MockReverbProvider>,
    );
    expect(html).toContain('initialized|null|idle|0|signed-out|0');
    expect(html).toContain('aria-label="Notifications (alt+t)"');
    expect(client.subscriptions).toEqual([]);
  });

  it('renders with <ReverbProvider options> (the real core client) without connecting', () => {
    const html = renderToString(
      <ReverbProvider options={{ key: 'app-key', host: 'reverb.example.test', forceTLS: true }}>
        <App />
      </ReverbProvider>,
    );
    expect(html).toContain('initialized|null|idle|0|signed-out|0');
  });
});
