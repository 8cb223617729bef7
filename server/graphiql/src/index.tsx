// GraphiQL for /graphql, built from npm into dist/ so that nothing loads from a CDN: the
// explorer plugin beside the editor, and a fetcher that sends the session cookie.
import 'graphiql/setup-workers/vite';
import 'graphiql/style.css';
import '@graphiql/plugin-explorer/style.css';

import { explorerPlugin } from '@graphiql/plugin-explorer';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

const fetcher = createGraphiQLFetcher({
  // The page is served by the endpoint itself (/graphql, or a subgraph's): same-origin, so
  // the session cookie signs the requests in.
  url: new URL(window.location.pathname, window.location.href).toString(),
  fetch: (input, init) => fetch(input, { ...init, credentials: 'same-origin' }),
});

const plugins = [explorerPlugin()];

const mount = document.getElementById('graphiql');
if (mount) {
  createRoot(mount).render(
    <StrictMode>
      <GraphiQL fetcher={fetcher} plugins={plugins} defaultEditorToolsVisibility />
    </StrictMode>,
  );
}
