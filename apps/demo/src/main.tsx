import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { api } from './api';
import './styles.css';

const root = createRoot(document.getElementById('root') as HTMLElement);
api.config().then(
  (config) =>
    root.render(
      <StrictMode>
        <App config={config} />
      </StrictMode>,
    ),
  (error: unknown) => root.render(<p className="error">Could not reach the demo backend: {String(error)}</p>),
);
