import { type FormEvent, useState } from 'react';
import { useWhisper } from 'react-reverb';
import { TYPING_WHISPER } from '../../shared/names';
import type { User } from '../api';

export interface MessageComposerProps {
  readonly me: User;
  readonly users: readonly User[];
  /** Where whispers go (the lobby presence channel). */
  readonly channel: string;
  readonly onSend: (to: string, text: string) => Promise<void>;
  /** A nudge: a notification without text. */
  readonly onNudge: (to: string) => Promise<void>;
}

/** Send another user a message or a nudge (notifications); typing whispers `typing` to the lobby. */
export function MessageComposer({ me, users, channel, onSend, onNudge }: MessageComposerProps) {
  const others = users.filter((u) => u.id !== me.id);
  const [to, setTo] = useState(others[0]?.id ?? '');
  const [text, setText] = useState('');
  const [status, setStatus] = useState<string | null>(null);
  const whisperTyping = useWhisper<{ name: string }>(channel, TYPING_WHISPER);

  const recipient = () => to || others[0]?.id || '';
  const attempt = async (action: () => Promise<void>, done: string) => {
    setStatus(null);
    try {
      await action();
      setStatus(done);
    } catch (error) {
      setStatus(error instanceof Error ? error.message : 'Could not send.');
    }
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void attempt(async () => {
      await onSend(recipient(), text);
      setText('');
    }, 'Sent.');
  };

  return (
    <form className="card composer" onSubmit={submit} aria-labelledby="composer-title">
      <h2 id="composer-title">Send a message</h2>
      <label>
        To{' '}
        <select value={to} onChange={(e) => setTo(e.target.value)} data-testid="message-to">
          {others.map((u) => (
            <option key={u.id} value={u.id}>
              {u.name}
            </option>
          ))}
        </select>
      </label>
      <textarea
        value={text}
        maxLength={500}
        placeholder="Say hello…"
        aria-label="Message"
        data-testid="message-text"
        onChange={(e) => {
          setText(e.target.value);
          whisperTyping({ name: me.name });
        }}
      />
      <div className="row">
        <button type="submit" disabled={text.trim() === '' || others.length === 0}>
          Send
        </button>
        <button
          type="button"
          disabled={others.length === 0}
          onClick={() => void attempt(() => onNudge(recipient()), 'Nudged.')}
        >
          Nudge
        </button>
        {status ? <span className="muted">{status}</span> : null}
      </div>
    </form>
  );
}
