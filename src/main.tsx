import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App.tsx';
import { runAction } from './app/actions.ts';
import { useStudio } from './app/store.ts';
import './app/styles.css';

useStudio.setState({ hashText: location.hash });
addEventListener('hashchange', () => useStudio.setState({ hashText: location.hash }));

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
// once per page load, outside React, so StrictMode's double effects cannot start it twice
void runAction('boot');
