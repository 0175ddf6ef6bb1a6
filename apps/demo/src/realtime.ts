import type { ReverbClientOptions } from '@react-reverb/core';
import type { DemoConfig } from './api';

/**
 * Client options the way Echo is set up in a Laravel app: the server's public host and key from
 * the backend, channel auth and user sign-in through `/broadcasting/*` with the session cookie.
 */
export function clientOptions(config: DemoConfig): ReverbClientOptions {
  return {
    key: config.reverb.key,
    host: config.reverb.host,
    port: config.reverb.port,
    forceTLS: config.reverb.forceTLS,
    authEndpoint: '/broadcasting/auth',
    userAuthEndpoint: '/broadcasting/user-auth',
  };
}
