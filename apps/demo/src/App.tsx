import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ReverbProvider, useSocketId } from 'react-reverb';
import { NotificationToast } from 'react-reverb/toast';
import { api, type DemoConfig, setSocketId, UnauthenticatedError, type User } from './api';
import { Dashboard, type DashboardActions } from './components/Dashboard';
import { LoginPage } from './components/LoginPage';
import { SIGNED_IN_ELSEWHERE, showSessionEndedToast } from './components/SessionGuard';
import { clientOptions } from './realtime';

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

export function App({ config }: { config: DemoConfig }) {
  const [session, setSession] = useState<Session>({ phase: 'loading' });
  /** Bumped to rebuild the realtime client (a new session, or after "sign out other sessions"). */
  const [generation, setGeneration] = useState(0);
  /** While "sign out other sessions" runs, our own socket is terminated on purpose. */
  const replacingSession = useRef(false);

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

  /** Every API call of a signed-in page: a 401 means the session ended elsewhere. */
  const guarded = useCallback(
    async (call: () => Promise<unknown>) => {
      try {
        await call();
      } catch (error) {
        if (error instanceof UnauthenticatedError) {
          showSessionEndedToast();
          signedOut(SIGNED_IN_ELSEWHERE);
          return;
        }
        throw error;
      }
    },
    [signedOut],
  );

  const actions = useMemo<DashboardActions>(
    () => ({
      sendMessage: (to, text) => guarded(() => api.sendMessage(to, text)),
      shipOrder: () => guarded(api.shipOrder),
      logout: async () => {
        await api.logout();
        signedOut(null);
      },
      logoutOthers: () =>
        guarded(async () => {
          replacingSession.current = true;
          try {
            await api.logoutOthers();
          } finally {
            replacingSession.current = false;
          }
          // terminate_connections closed this device's socket too: connect again, signed in.
          setGeneration((g) => g + 1);
        }),
      signedOut: () => signedOut(SIGNED_IN_ELSEWHERE),
      terminated: () => {
        if (!replacingSession.current) void guarded(api.me);
      },
    }),
    [guarded, signedOut],
  );

  const login = useCallback(
    async (email: string, password: string) => {
      await enter(await api.login(email, password));
    },
    [enter],
  );

  const options = useMemo(() => clientOptions(config), [config]);
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
