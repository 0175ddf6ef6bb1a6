import { createReverbClient, type ReverbClient, type ReverbClientOptions } from '@react-reverb/core';
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

let configuration: Configuration | null = null;
const listeners = new Set<() => void>();

const subscribe = (listener: () => void) => {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
};
const getConfiguration = () => configuration;

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
  const previous = configuration;
  configuration = options.client
    ? { options: null, client: options.client, owned: false }
    : { options: checked(clientOptions(options)), client: null, owned: true };
  for (const listener of [...listeners]) listener();
  if (previous?.owned) previous.client?.disconnect();
}

/** echo-react's `echo()`: the configured `Echo`. Throws echo-react's message when unconfigured. */
export function echo(): Echo {
  const client = configuredClient(configuration);
  if (!client) throw notConfigured();
  return echoFor(client);
}

export const echoIsConfigured = (): boolean => configuration !== null;

/** For tests: forget the configuration (disconnecting the client it created). */
export function resetEcho(): void {
  const previous = configuration;
  configuration = null;
  for (const listener of [...listeners]) listener();
  if (previous?.owned) previous.client?.disconnect();
}

/** The client of the nearest `<ReverbProvider>`, else `configureEcho`'s. */
export function useEchoClient(): ReverbClient {
  const provided = useContext(ReverbContext);
  const config = useSyncExternalStore(subscribe, getConfiguration, getConfiguration);
  const client = provided ?? configuredClient(config);
  if (!client) throw notConfigured();
  return client;
}
