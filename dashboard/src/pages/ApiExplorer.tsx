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
export default function ApiExplorer() {
  const scheme = useComputedColorScheme('light');
  const token = session.get()?.accessToken ?? '';
  return (
    <>
      <PageHeader title="API explorer" description="Every route of this server, generated from the schemas that validate requests." />
      <Paper withBorder style={{ overflow: 'hidden' }} data-testid="api-explorer">
        <ApiReferenceReact
          configuration={{
            url: '/openapi.json',
            withDefaultFonts: false,
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
