import { act, cleanup, renderHook } from '@testing-library/react';
import type { ReactNode } from 'react';
import { type ModelEvents, type ModelPayload, useEchoModel } from 'react-reverb/echo';
import { createMockClient, type MockReverbClient, MockReverbProvider } from 'react-reverb/testing';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';

const wrap =
  (client: MockReverbClient) =>
  ({ children }: { children: ReactNode }) => (
    <MockReverbProvider client={client}>{children}</MockReverbProvider>
  );

afterEach(() => cleanup());

interface Post {
  id: number;
  title: string;
}

/** What Laravel's `BroadcastableModelEventOccurred` sends. */
const payload = (post: Post): ModelPayload<Post> => ({
  model: post,
  connection: null,
  queue: null,
  afterCommit: false,
});

describe('useEchoModel', () => {
  it('listens on private-App.Models.Post.{id} to .PostUpdated, .PostDeleted…, typed by the model', () => {
    const client = createMockClient();
    const got: string[] = [];
    renderHook(
      () =>
        useEchoModel<Post, 'App.Models.Post'>(
          'App.Models.Post',
          7,
          ['PostUpdated', '.PostDeleted'],
          (e, meta) => {
            expectTypeOf(e.model.title).toEqualTypeOf<string>();
            got.push(`${meta.event} ${e.model.title}`);
          },
        ),
      { wrapper: wrap(client) },
    );
    act(() => {
      client.emit('private-App.Models.Post.7', 'PostUpdated', payload({ id: 7, title: 'Draft' }));
      client.emit('private-App.Models.Post.7', 'PostCreated', payload({ id: 7, title: 'not listened' }));
      client.emit('private-App.Models.Post.7', 'PostDeleted', payload({ id: 7, title: 'Gone' }));
    });
    expect(got).toEqual(['PostUpdated Draft', 'PostDeleted Gone']);
    expect(client.subscriptions).toEqual([{ type: 'subscribe', channel: 'private-App.Models.Post.7' }]);
  });

  it("takes one event as a string and the model's events only (types)", () => {
    const client = createMockClient();
    const got: unknown[] = [];
    renderHook(
      () =>
        useEchoModel<Post, 'App.Models.Post'>('App.Models.Post', '9', 'PostTrashed', (e) =>
          got.push(e.model),
        ),
      {
        wrapper: wrap(client),
      },
    );
    act(() => void client.emit('private-App.Models.Post.9', 'PostTrashed', payload({ id: 9, title: 't' })));
    expect(got).toEqual([{ id: 9, title: 't' }]);
    expectTypeOf<'.PostUpdated'>().toExtend<ModelEvents<'App.Models.Post'>>();
    expectTypeOf<'PostRestored'>().toExtend<ModelEvents<'App.Models.Post'>>();
    expectTypeOf<'UserUpdated'>().not.toExtend<ModelEvents<'App.Models.Post'>>();
  });
});
