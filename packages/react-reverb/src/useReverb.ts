import type { ReverbClient } from '@react-reverb/core';
import { createContext, useContext } from 'react';

export const ReverbContext = createContext<ReverbClient | null>(null);
ReverbContext.displayName = 'ReverbContext';

export function missingProviderError(): Error {
  return new Error(
    'react-reverb: no client. Wrap the app in <ReverbProvider client={…}> or <ReverbProvider options={…}> (tests: <MockReverbProvider>)',
  );
}

/** The client of the nearest `<ReverbProvider>`; throws a message naming the fix when there is none. */
export function useReverb(): ReverbClient {
  const client = useContext(ReverbContext);
  if (client === null) throw missingProviderError();
  return client;
}
