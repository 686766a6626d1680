import '@scalar/api-reference-react/style.css';
import { Paper, useComputedColorScheme } from '@mantine/core';
import { ApiReferenceReact } from '@scalar/api-reference-react';
import { session } from '../api/client';
import { PageHeader } from '../ui/PageHeader';

/**
 * The API explorer over this server's /openapi.json (Scalar, bundled: no CDN, no default fonts,
 * no telemetry, no external proxy; "try it" requests go straight to this server with the
 * admin's token filled in).
 */
const CONTRAST_CSS = `
.light-mode { --scalar-color-2: #3b3b3b; --scalar-color-3: #555555; }
.dark-mode { --scalar-color-2: #d0d0d0; --scalar-color-3: #b4b4b4; }
`;

export default function ApiExplorer() {
  const scheme = useComputedColorScheme('light');
  const token = session.get()?.accessToken ?? '';
  return (
    <>
      <PageHeader
        title="API explorer"
        description="Every route of this server, generated from the schemas that validate requests."
      />
      <Paper withBorder style={{ overflow: 'hidden' }} data-testid="api-explorer">
        <ApiReferenceReact
          configuration={{
            url: '/openapi.json',
            withDefaultFonts: false,
            // Muted text dark (light) enough for 4.5:1 contrast.
            customCss: CONTRAST_CSS,
            telemetry: false,
            hideClientButton: false,
            showDeveloperTools: 'never',
            mcp: { disabled: true },
            forceDarkModeState: scheme,
            hideDarkModeToggle: true,
            baseServerURL: window.location.origin,
            servers: [{ url: window.location.origin }],
            authentication: { preferredSecurityScheme: 'adminBearer', securitySchemes: { adminBearer: { token } } },
          }}
        />
      </Paper>
    </>
  );
}
