import { type ReactNode, useContext, useState } from 'react';
import { ReverbContext } from 'react-reverb';
import { createMockClient, type MockClientOptions, type MockReverbClient } from './createMockClient';

export interface MockReverbProviderProps {
  /** The mock to use; created from `options` when absent. */
  readonly client?: MockReverbClient;
  readonly options?: MockClientOptions;
  readonly children?: ReactNode;
}

/** `<ReverbProvider>` for tests and stories, backed by `createMockClient()`. */
export function MockReverbProvider({ client, options, children }: MockReverbProviderProps): ReactNode {
  const [own] = useState(() => client ?? createMockClient(options));
  return <ReverbContext.Provider value={client ?? own}>{children}</ReverbContext.Provider>;
}

/** The mock of the nearest `<MockReverbProvider>`, to drive it from a component (stories). */
export function useMockClient(): MockReverbClient {
  const client = useContext(ReverbContext);
  if (!client || !('emit' in client)) {
    throw new Error('react-reverb/testing: useMockClient() needs a <MockReverbProvider> above it.');
  }
  return client as MockReverbClient;
}
