/** The backend's JSON API, same-origin (Vite proxies `/api` in dev), cookies sent by the browser. */

export interface User {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  readonly initials: string;
  readonly color: string;
}

/** Where the browser's socket goes. */
export interface ReverbSettings {
  readonly key: string;
  readonly host: string;
  readonly port: number;
  readonly forceTLS: boolean;
}

/** `GET /api/config`: the backend's view of the reverb server, for builds without `VITE_REVERB_*`. */
export interface DemoConfig {
  readonly reverb: ReverbSettings;
  readonly lobbyChannel: string;
}

/** The session is gone (expired, signed out elsewhere): the app goes back to the login page. */
export class UnauthenticatedError extends Error {
  constructor() {
    super('Unauthenticated.');
    this.name = 'UnauthenticatedError';
  }
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Sent as `X-Socket-ID` (like Echo) so the backend can leave this connection out (`toOthers()`). */
let currentSocketId: string | null = null;
export function setSocketId(id: string | null): void {
  currentSocketId = id;
}

async function request<T>(method: string, path: string, body?: Record<string, string>): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body) headers['content-type'] = 'application/json';
  if (currentSocketId) headers['x-socket-id'] = currentSocketId;
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const data = (await response.json().catch(() => ({}))) as { message?: string };
  if (response.status === 401) throw new UnauthenticatedError();
  if (!response.ok) throw new ApiError(response.status, data.message ?? `HTTP ${response.status}`);
  return data as T;
}

export const api = {
  config: () => request<DemoConfig>('GET', '/api/config'),
  me: () => request<{ user: User }>('GET', '/api/me').then((r) => r.user),
  login: (email: string, password: string) =>
    request<{ user: User }>('POST', '/api/login', { email, password }).then((r) => r.user),
  logout: () => request<unknown>('POST', '/api/logout'),
  logoutOthers: () => request<{ user: User }>('POST', '/api/sessions/logout-others').then((r) => r.user),
  users: () => request<{ users: User[] }>('GET', '/api/users').then((r) => r.users),
  sendMessage: (to: string, text: string) => request<unknown>('POST', '/api/messages', { to, text }),
  nudge: (to: string) => request<unknown>('POST', '/api/nudges', { to }),
  shipOrder: () => request<unknown>('POST', '/api/orders/ship'),
  /** `$user->notifications`, newest first. */
  notifications: <T>() =>
    request<{ notifications: T[] }>('GET', '/api/notifications').then((r) => r.notifications),
};
