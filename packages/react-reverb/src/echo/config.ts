import {
  createReverbClient,
  createStore,
  type ReverbClient,
  type ReverbClientOptions,
} from '@react-reverb/core';
import { useContext, useSyncExternalStore } from 'react';
import { ReverbContext } from '../useReverb';
import { type Echo, echoFor } from './facade';
import { clientOptions, type EchoOptions } from './options';

/**
 * `configureEcho`'s app-wide client, for apps with no `<ReverbProvider>`: echo-react's singleton, kept
 * in a small external store so that hooks mounted before a new `configureEcho()` move to the new client.
 */
interface Configuration {
  readonly options: ReverbClientOptions | null;
  /** The app's own client (`configureEcho({ client })`), else the one created from `options`. */
  client: ReverbClient | null;
  readonly owned: boolean;
}

/** In a wrapper: `createStore` holds objects, and "not configured" is null. */
const configuration = createStore<{ readonly current: Configuration | null }>({ current: null });
const getConfiguration = () => configuration.getSnapshot().current;

/** Moves mounted hooks to `next`, then disconnects the client the previous configuration created. */
function configure(next: Configuration | null): void {
  const previous = getConfiguration();
  configuration.set({ current: next });
  if (previous?.owned) previous.client?.disconnect();
}

/** The configured client, created on first use (as echo-react creates its Echo); null when unconfigured. */
function configuredClient(config: Configuration | null): ReverbClient | null {
  if (config && !config.client && config.options) config.client = createReverbClient(config.options);
  return config?.client ?? null;
}

function notConfigured(): Error {
  return new Error(
    'Echo has not been configured. Please call `configureEcho()` (react-reverb/echo: or render the hooks inside <ReverbProvider>).',
  );
}

/**
 * The core's own check of the options, on a client that never connects: the real one is created on first
 * use, as echo-react creates its Echo, so configuring opens no socket by itself.
 */
function checked(options: ReverbClientOptions): ReverbClientOptions {
  createReverbClient({ ...options, autoConnect: false });
  return options;
}

/**
 * echo-react's `configureEcho`: laravel-echo's options (`{ broadcaster: 'reverb' }` reads the rest from
 * `VITE_REVERB_*`), checked now: the core's error for a missing key or host, or a port that is not a
 * number, throws here. Calling it again disconnects the client it created before (echo-react leaves that
 * one connected) and moves mounted hooks to the new one.
 */
export function configureEcho(options: EchoOptions): void {
  configure(
    options.client
      ? { options: null, client: options.client, owned: false }
      : { options: checked(clientOptions(options)), client: null, owned: true },
  );
}

/** echo-react's `echo()`: the configured `Echo`. Throws echo-react's message when unconfigured. */
export function echo(): Echo {
  const client = configuredClient(getConfiguration());
  if (!client) throw notConfigured();
  return echoFor(client);
}

export const echoIsConfigured = (): boolean => getConfiguration() !== null;

/** For tests: forget the configuration (disconnecting the client it created). */
export function resetEcho(): void {
  configure(null);
}

/** The client of the nearest `<ReverbProvider>`, else `configureEcho`'s. */
export function useEchoClient(): ReverbClient {
  const provided = useContext(ReverbContext);
  // The server reads the current configuration too, not the store's initial (unconfigured) one: apps call
  // `configureEcho()` before they render, on the server as in the browser.
  const { current } = useSyncExternalStore(
    configuration.subscribe,
    configuration.getSnapshot,
    configuration.getSnapshot,
  );
  const client = provided ?? configuredClient(current);
  if (!client) throw notConfigured();
  return client;
}
