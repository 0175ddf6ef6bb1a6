import type { ReverbClientOptions } from '@react-reverb/core';
import type { ReverbSettings } from './api';

/**
 * The variables Laravel's starter kits write into `.env` (`VITE_REVERB_APP_KEY="${REVERB_APP_KEY}"`,
 * …) and their `echo.js` reads; Vite bakes them into the build.
 */
export interface ViteReverbEnv {
  readonly VITE_REVERB_APP_KEY?: string;
  readonly VITE_REVERB_HOST?: string;
  readonly VITE_REVERB_PORT?: string;
  readonly VITE_REVERB_SCHEME?: string;
}

/**
 * Where the socket goes, read as a Laravel app's `echo.js` reads it: the scheme defaults to https, the
 * port to 443 or 80 by scheme. Null without `VITE_REVERB_APP_KEY`: the build did not get them, and the
 * app asks the backend (`/api/config`) at run time instead (what the e2e tests use: their servers get
 * free ports after the build, and each browser can be sent to another node or a fault proxy).
 */
export function reverbFromViteEnv(env: ViteReverbEnv, pageHost: string): ReverbSettings | null {
  const key = env.VITE_REVERB_APP_KEY;
  if (!key) return null;
  const forceTLS = (env.VITE_REVERB_SCHEME || 'https') === 'https';
  const port = Number(env.VITE_REVERB_PORT);
  return {
    key,
    host: env.VITE_REVERB_HOST || pageHost,
    port: Number.isInteger(port) && port > 0 ? port : forceTLS ? 443 : 80,
    forceTLS,
  };
}

/**
 * Client options the way Echo is set up in a Laravel app: the server's public host and key, channel
 * auth and user sign-in through `/broadcasting/*` with the session cookie.
 */
export function clientOptions(reverb: ReverbSettings): ReverbClientOptions {
  return {
    key: reverb.key,
    host: reverb.host,
    port: reverb.port,
    forceTLS: reverb.forceTLS,
    authEndpoint: '/broadcasting/auth',
    userAuthEndpoint: '/broadcasting/user-auth',
  };
}
