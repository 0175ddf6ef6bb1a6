import { useEffect, useState } from 'react';
import { useListenForWhisper, usePresence } from 'react-reverb';
import { TYPING_WHISPER } from '../../shared/names';
import { Avatar, type AvatarInfo } from './Avatar';

/** How long after the last `typing` whisper someone still shows as typing. */
const TYPING_MS = 3000;

/**
 * Who is online on the lobby presence channel, with typing indicators from whispers. While the socket
 * is down the last known members stay, greyed and marked (`usePresence().stale`), instead of an empty
 * list: the resubscribe then reports who came and went meanwhile.
 */
export function OnlineUsers({ channel }: { channel: string }) {
  const presence = usePresence<AvatarInfo>(channel);
  const typing = useTypingUsers(channel);
  const typingNames = presence.members
    .filter((m) => m.id !== presence.myId && typing.has(m.id))
    .map((m) => m.info.name.split(' ')[0]);
  return (
    <section
      className="card"
      aria-labelledby="online-title"
      data-testid="online-users"
      data-stale={presence.stale}
    >
      <h2 id="online-title">
        Online{' '}
        <span className="count" data-testid="online-count">
          {presence.count}
        </span>
        {presence.stale ? (
          <span className="muted stale-note" data-testid="presence-stale">
            {' '}
            last known, reconnecting…
          </span>
        ) : null}
      </h2>
      {presence.status === 'error' ? (
        <p className="error">Could not join: {presence.error?.message}</p>
      ) : presence.members.length === 0 ? (
        <p className="muted">{presence.status === 'subscribed' ? 'Nobody here.' : 'Joining…'}</p>
      ) : (
        <ul className={`members${presence.stale ? ' members--stale' : ''}`}>
          {presence.members.map((member) => (
            <li key={member.id} data-testid="member" data-user-id={member.id}>
              <Avatar info={member.info} typing={typing.has(member.id)} />
              <span>
                {member.info.name}
                {member.id === presence.myId ? <span className="muted"> (you)</span> : null}
              </span>
            </li>
          ))}
        </ul>
      )}
      <p className="typing" data-testid="typing" aria-live="polite">
        {typingNames.length > 0
          ? `${typingNames.join(', ')} ${typingNames.length > 1 ? 'are' : 'is'} typing…`
          : ' '}
      </p>
    </section>
  );
}

/** User ids who whispered `typing` in the last few seconds. */
function useTypingUsers(channel: string): ReadonlySet<string> {
  const [until, setUntil] = useState<ReadonlyMap<string, number>>(new Map());
  useListenForWhisper(channel, TYPING_WHISPER, (_data, meta) => {
    if (!meta.userId) return;
    const userId = meta.userId;
    setUntil((prev) => new Map(prev).set(userId, Date.now() + TYPING_MS));
  });
  useEffect(() => {
    if (until.size === 0) return;
    const next = Math.min(...until.values()) - Date.now();
    const timer = setTimeout(
      () => setUntil((prev) => new Map([...prev].filter(([, t]) => t > Date.now()))),
      Math.max(50, next),
    );
    return () => clearTimeout(timer);
  }, [until]);
  return new Set(until.keys());
}
