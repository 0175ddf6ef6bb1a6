import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { api } from './api';
import { reverbFromViteEnv } from './realtime';
import './styles.css';

const root = createRoot(document.getElementById('root') as HTMLElement);
api.config().then(
  (config) => {
    // Laravel's `VITE_REVERB_*` when the build has them (`pnpm dev` sets them), else the backend's answer.
    const reverb = reverbFromViteEnv(import.meta.env, window.location.hostname) ?? config.reverb;
    root.render(
      <StrictMode>
        <App config={{ ...config, reverb }} />
      </StrictMode>,
    );
  },
  (error: unknown) => root.render(<p className="error">Could not reach the demo backend: {String(error)}</p>),
);
