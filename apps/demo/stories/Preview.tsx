import { type ReactNode, useEffect, useRef, useState } from 'react';
import {
  createMockClient,
  type MockClientOptions,
  type MockReverbClient,
  MockReverbProvider,
  useMockClient,
} from 'react-reverb/testing';

export interface Story {
  /** URL-safe, unique: `?story=<id>` renders it alone. */
  readonly id: string;
  readonly group: string;
  readonly name: string;
  readonly render: () => ReactNode;
  /** Height of the stage (toasts are positioned inside it). */
  readonly height?: number;
}

type Drive = (mock: MockReverbClient) => void;
type Ready = (mock: MockReverbClient) => boolean;

/**
 * Runs `drive` once, when `ready` says the story's hooks are listening (hooks hold channels in an
 * effect and bind on the next commit, so "after mount" is not soon enough for an emit).
 */
function Driver({ drive, ready }: { drive: Drive; ready: Ready }) {
  const mock = useMockClient();
  const done = useRef(false);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const attempt = (left: number) => {
      if (done.current) return;
      if (ready(mock) || left === 0) {
        done.current = true;
        drive(mock);
        return;
      }
      timer = setTimeout(() => attempt(left - 1), 10);
    };
    attempt(300);
    return () => clearTimeout(timer);
  }, [mock, drive, ready]);
  return null;
}

/** Ready when something listens for `event` on `channel`. */
export const listening =
  (channel: string, event?: string): Ready =>
  (mock) =>
    mock.listenerCount(channel, event) > 0;

/** A story's component, on its own mock client, driven like a server would. */
export function WithMock({
  children,
  options,
  drive,
  ready = () => true,
}: {
  children: ReactNode;
  options?: MockClientOptions;
  drive?: Drive;
  ready?: Ready;
}) {
  const [client] = useState(() => createMockClient(options));
  return (
    <MockReverbProvider client={client}>
      {children}
      {drive ? <Driver drive={drive} ready={ready} /> : null}
    </MockReverbProvider>
  );
}
