import type { ReverbClient } from '@react-reverb/core';
import { createContext, useContext } from 'react';

export const ReverbContext = createContext<ReverbClient | null>(null);
ReverbContext.displayName = 'ReverbContext';

export function missingProviderError(): Error {
  return new Error(
    'react-reverb: no client found. Wrap your app in <ReverbProvider client={createReverbClient({...})}> ' +
      "or <ReverbProvider options={{ key, host, ... }}> (in tests: <MockReverbProvider> from 'react-reverb/testing').",
  );
}

/** The client of the nearest `<ReverbProvider>`; throws a message naming the fix when there is none. */
export function useReverb(): ReverbClient {
  const client = useContext(ReverbContext);
  if (client === null) throw missingProviderError();
  return client;
}
