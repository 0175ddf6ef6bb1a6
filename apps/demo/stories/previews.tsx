import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '../src/styles.css';
import type { Story } from './Preview';
import { stories } from './stories';

/**
 * A hand-made previews page (Storybook-style): every component and hook state on react-reverb's mock
 * client. `?story=<id>` renders one story alone (what the previews test opens).
 */
function StoryFrame({ story }: { story: Story }) {
  return (
    <section
      className="preview"
      data-story={story.id}
      style={story.height ? { minHeight: story.height } : undefined}
    >
      <h4>
        {story.group} / {story.name}
      </h4>
      <div data-story-root="">{story.render()}</div>
    </section>
  );
}

function Previews() {
  const only = new URLSearchParams(window.location.search).get('story');
  const shown = only ? stories.filter((s) => s.id === only) : stories;
  const groups = [...new Set(stories.map((s) => s.group))];
  return (
    <div className="previews">
      <nav aria-label="Stories">
        <h1>
          <a href="?">Previews</a>
        </h1>
        {groups.map((group) => (
          <div key={group}>
            <h3>{group}</h3>
            <ul>
              {stories
                .filter((s) => s.group === group)
                .map((s) => (
                  <li key={s.id}>
                    <a href={`?story=${s.id}`}>{s.name}</a>
                  </li>
                ))}
            </ul>
          </div>
        ))}
      </nav>
      <div className="preview-stage" data-testid="stage">
        {shown.length === 0 ? <p className="error">No story "{only}".</p> : null}
        {shown.map((story) => (
          <StoryFrame key={story.id} story={story} />
        ))}
      </div>
    </div>
  );
}

/** Lists story ids for the test runner (`window.__STORIES__`). */
declare global {
  interface Window {
    __STORIES__?: readonly string[];
  }
}
window.__STORIES__ = stories.map((s) => s.id);
createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <Previews />
  </StrictMode>,
);
