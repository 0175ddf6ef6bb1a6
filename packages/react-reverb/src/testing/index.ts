export {
  createMockClient,
  type MockClientOptions,
  type MockEventMeta,
  type MockReverbClient,
  type WhisperRecord,
  type WireRecord,
} from './createMockClient';
export { MockReverbProvider, type MockReverbProviderProps, useMockClient } from './MockReverbProvider';
