import type { Channel, RetainedChannel, RetainOptions, ReverbClient } from '@react-reverb/core';
import { useContext, useEffect, useState } from 'react';
import { missingProviderError, ReverbContext } from '../useReverb';

interface Held<C> {
  readonly client: ReverbClient;
  readonly name: string;
  readonly channel: C;
}

/**
 * Holds a channel while the component is mounted: retain in the effect, release in the cleanup.
 * The core defers the wire unsubscribe, so StrictMode's mount → cleanup → mount and two components
 * sharing a channel cost one subscription. Returns undefined until the effect ran (and on the server).
 * `options` go with the hold (`rewind`: the first holder's value is used).
 */
export function useHeldChannel<C extends Channel>(
  name: string | null | undefined,
  enabled: boolean,
  retain: (client: ReverbClient, name: string, options?: RetainOptions) => RetainedChannel<C>,
  options?: RetainOptions,
): C | undefined {
  const client = useContext(ReverbContext);
  const [held, setHeld] = useState<Held<C> | null>(null);
  const active = enabled && typeof name === 'string' && name !== '';
  // A disabled hook works without a provider (e.g. <NotificationToast> fed only by toast()).
  if (active && client === null) throw missingProviderError();
  // biome-ignore lint/correctness/useExhaustiveDependencies: `retain` is a module-level function per hook; `options` count at the first hold only
  useEffect(() => {
    if (!active || client === null) return;
    const hold = retain(client, name, options);
    setHeld({ client, name, channel: hold.channel });
    return () => hold.release();
  }, [client, name, active]);
  return active && held !== null && held.client === client && held.name === name ? held.channel : undefined;
}

export const retainChannel = (client: ReverbClient, name: string, options?: RetainOptions): RetainedChannel =>
  client.retain(name, options);
