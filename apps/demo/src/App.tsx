import { useCallback, useEffect, useMemo, useState } from 'react';
import { ReverbProvider, useSocketId } from 'react-reverb';
import { NotificationToast } from 'react-reverb/toast';
import { api, type DemoConfig, setSocketId, UnauthenticatedError, type User } from './api';
import { Dashboard, type DashboardActions } from './components/Dashboard';
import { LoginPage } from './components/LoginPage';
import type { DemoNotification } from './components/NotificationsPanel';
import { clientOptions } from './realtime';
import { SIGNED_IN_ELSEWHERE } from './session';

type Session =
  | { readonly phase: 'loading' }
  | { readonly phase: 'guest'; readonly notice: string | null }
  | { readonly phase: 'user'; readonly user: User; readonly users: readonly User[] };

/** Keeps `X-Socket-ID` current for API calls (Echo's interceptor). */
function SocketIdReporter() {
  const socketId = useSocketId();
  useEffect(() => setSocketId(socketId), [socketId]);
  return null;
}

/** GET /api/me as a yes/no: a 401 is no, a network failure or a 5xx is "can't tell". */
async function sessionAlive(): Promise<boolean | null> {
  try {
    await api.me();
    return true;
  } catch (error) {
    return error instanceof UnauthenticatedError ? false : null;
  }
}

export function App({ config }: { config: DemoConfig }) {
  const [session, setSession] = useState<Session>({ phase: 'loading' });
  /** Bumped to rebuild the realtime client: a new session (signed in or out) gets a fresh socket. */
  const [generation, setGeneration] = useState(0);

  const enter = useCallback(async (user: User) => {
    const users = await api.users();
    setSession({ phase: 'user', user, users });
    setGeneration((g) => g + 1);
  }, []);

  const signedOut = useCallback((notice: string | null) => {
    setSocketId(null);
    setSession({ phase: 'guest', notice });
    setGeneration((g) => g + 1);
  }, []);

  useEffect(() => {
    api
      .me()
      .then(enter)
      .catch(() => signedOut(null));
  }, [enter, signedOut]);

  const actions = useMemo<DashboardActions>(
    () => ({
      sendMessage: async (to, text) => {
        await api.sendMessage(to, text);
      },
      nudge: async (to) => {
        await api.nudge(to);
      },
      shipOrder: async () => {
        await api.shipOrder();
      },
      logout: async () => {
        await api.logout();
        signedOut(null);
      },
      logoutOthers: async () => {
        await api.logoutOthers();
      },
      notifications: () => api.notifications<DemoNotification>(),
      sessionAlive,
      sessionEnded: (error) => {
        // Which path told us (the server's kick, the app's broadcast, or the session check): for the curious.
        console.info(`[demo] session replaced: ${error.message} (${error.code})`);
        signedOut(SIGNED_IN_ELSEWHERE);
      },
    }),
    [signedOut],
  );

  const login = useCallback(
    async (email: string, password: string) => {
      await enter(await api.login(email, password));
    },
    [enter],
  );

  const options = useMemo(() => clientOptions(config.reverb), [config]);
  if (session.phase === 'loading') return <p className="loading">Loading…</p>;
  return (
    <ReverbProvider key={`${session.phase}-${generation}`} options={options}>
      <SocketIdReporter />
      {session.phase === 'user' ? (
        <Dashboard
          me={session.user}
          users={session.users}
          lobbyChannel={config.lobbyChannel}
          actions={actions}
        />
      ) : (
        <>
          <LoginPage onLogin={login} notice={session.notice} />
          <NotificationToast />
        </>
      )}
    </ReverbProvider>
  );
}
