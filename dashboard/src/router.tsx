import { lazy, Suspense, type ComponentType } from 'react';
import { createBrowserRouter, Navigate } from 'react-router';
import { Shell } from './layout/Shell';
import { RequireAdmin } from './layout/RequireAdmin';
import { Loading } from './ui/feedback';

/** Every page has a URL under /dashboard; pages load on demand so the first screen stays small. */
const page = (load: () => Promise<{ default: ComponentType }>) => {
  const Page = lazy(load);
  return (
    <Suspense fallback={<Loading />}>
      <Page />
    </Suspense>
  );
};

export const router = createBrowserRouter(
  [
    { path: '/login', element: page(() => import('./pages/Login')) },
    {
      element: <RequireAdmin />,
      children: [
        {
          element: <Shell />,
          children: [
            { index: true, element: <Navigate to="/apps" replace /> },
            { path: 'apps', element: page(() => import('./pages/Apps')) },
            { path: 'apps/:appId', element: page(() => import('./pages/AppOverview')) },
            { path: 'apps/:appId/settings', element: page(() => import('./pages/AppSettings')) },
            { path: 'apps/:appId/keys', element: page(() => import('./pages/Keys')) },
            { path: 'apps/:appId/collections', element: page(() => import('./pages/Collections')) },
            { path: 'apps/:appId/collections/:name', element: page(() => import('./pages/CollectionEditor')) },
            { path: 'apps/:appId/collections/:name/data', element: page(() => import('./pages/DataBrowser')) },
            { path: 'apps/:appId/playground', element: page(() => import('./pages/Playground')) },
            { path: 'apps/:appId/users', element: page(() => import('./pages/Users')) },
            { path: 'apps/:appId/users/:userId', element: page(() => import('./pages/UserDetail')) },
            { path: 'apps/:appId/files', element: page(() => import('./pages/Files')) },
            { path: 'apps/:appId/mail', element: page(() => import('./pages/Outbox')) },
            { path: 'apps/:appId/push', element: page(() => import('./pages/Push')) },
            { path: 'apps/:appId/push/:tab', element: page(() => import('./pages/Push')) },
            { path: 'apps/:appId/webhooks', element: page(() => import('./pages/Webhooks')) },
            { path: 'apps/:appId/webhooks/:webhookId', element: page(() => import('./pages/WebhookDetail')) },
            { path: 'apps/:appId/schedules', element: page(() => import('./pages/Schedules')) },
            { path: 'apps/:appId/realtime', element: page(() => import('./pages/Realtime')) },
            { path: 'apps/:appId/jobs', element: <Navigate to="/jobs" replace /> },
            { path: 'jobs', element: page(() => import('./pages/Jobs')) },
            { path: 'jobs/:queue/:jobId', element: page(() => import('./pages/JobDetail')) },
            { path: 'apps/:appId/backups', element: page(() => import('./pages/Backups')) },
            { path: 'admins', element: page(() => import('./pages/Admins')) },
            { path: 'audit', element: page(() => import('./pages/Audit')) },
            { path: 'api', element: page(() => import('./pages/ApiExplorer')) },
            { path: '*', element: page(() => import('./pages/NotFound')) },
          ],
        },
      ],
    },
  ],
  { basename: '/dashboard' },
);
