import '@mantine/core/styles.css';
import '@mantine/notifications/styles.css';
import {
  Alert,
  Anchor,
  Badge,
  createTheme,
  localStorageColorSchemeManager,
  MantineProvider,
  Modal,
  Notification,
  type CSSVariablesResolver,
} from '@mantine/core';
import { ModalsProvider } from '@mantine/modals';
import { Notifications } from '@mantine/notifications';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { RouterProvider } from 'react-router';
import { ApiError } from './api/client';
import { router } from './router';
import './global.css';

// An ember palette whose filled shade (7) keeps white text above 4.5:1 (WCAG AA).
const ember = [
  '#fff4e6',
  '#ffe8cc',
  '#ffd8a8',
  '#ffc078',
  '#ffa94d',
  '#ff922b',
  '#f76707',
  '#c2410c',
  '#9a3412',
  '#7c2d12',
] as const;

const theme = createTheme({
  colors: { ember: [...ember] },
  primaryColor: 'ember',
  primaryShade: { light: 7, dark: 7 },
  defaultRadius: 'md',
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  components: {
    // Close buttons are icons: give them names; alert titles use the text colour (contrast).
    Anchor: Anchor.extend({ defaultProps: { underline: 'always' } }),
    Badge: Badge.extend({ defaultProps: { variant: 'light' } }),
    Notification: Notification.extend({ styles: { description: { color: 'var(--mantine-color-text)' } } }),
    Modal: Modal.extend({ defaultProps: { closeButtonProps: { 'aria-label': 'Close dialog' } } }),
    Alert: Alert.extend({
      defaultProps: { closeButtonLabel: 'Dismiss' },
      styles: { title: { color: 'var(--mantine-color-text)' } },
    }),
  },
  fontFamilyMonospace: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
});

const LIGHT_COLORS = ['ember', 'teal', 'red', 'gray', 'blue', 'orange', 'yellow'];

// Dimmed text and links dark (or light) enough for 4.5:1 contrast in both themes.
const resolver: CSSVariablesResolver = () => ({
  variables: {},
  light: {
    '--mantine-color-dimmed': 'var(--mantine-color-gray-7)',
    // "Light" badges and buttons on the palest shade, so their small dark text stays above 4.5:1.
    ...Object.fromEntries(LIGHT_COLORS.map((c) => [`--mantine-color-${c}-light`, `var(--mantine-color-${c}-0)`])),
  },
  dark: { '--mantine-color-dimmed': 'var(--mantine-color-dark-1)', '--mantine-color-anchor': ember[4] },
});

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 10_000,
      refetchOnWindowFocus: false,
      // Client errors (400-499) will not get better by asking again.
      retry: (n, e) => !(e instanceof ApiError && e.status < 500) && n < 2,
    },
  },
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider
      theme={theme}
      cssVariablesResolver={resolver}
      defaultColorScheme="auto"
      colorSchemeManager={localStorageColorSchemeManager({ key: 'hearth.color-scheme' })}
    >
      <QueryClientProvider client={queryClient}>
        <ModalsProvider>
          <Notifications position="top-right" />
          <RouterProvider router={router} />
        </ModalsProvider>
      </QueryClientProvider>
    </MantineProvider>
  </StrictMode>,
);
