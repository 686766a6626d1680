import { useSyncExternalStore } from 'react';
import { Navigate, Outlet, useLocation } from 'react-router';
import { session } from '../api/client';

export const useSession = () => useSyncExternalStore(session.subscribe, session.get);

/** Pages behind sign-in: without a session, go to /login and come back afterwards. */
export function RequireAdmin() {
  const s = useSession();
  const loc = useLocation();
  if (!s) return <Navigate to={`/login?next=${encodeURIComponent(loc.pathname + loc.search)}`} replace />;
  return <Outlet />;
}
