import type { ErrorCode, ErrorDetails } from '@hearth/sdk';
import { useQuery } from '@tanstack/react-query';
import { io, type Socket } from 'socket.io-client';
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, freshToken, refresh, session } from './client';

/** The realtime monitor's two sources: the stats snapshot (polled) and an admin socket tailing every change. */
export interface RealtimeStats {
  appId: string;
  at: string;
  scope: 'cluster' | 'replica';
  missingReplicas: number;
  connections: number;
  adminConnections: number;
  connectionLimit: { max: number; scope: 'cluster' | 'replica' };
  subscriptions: { total: number; byCollection: { collection: string; subscriptions: number }[] };
  channels: { channel: string; members: number }[];
  channelsTruncated: boolean;
  deliveriesPerSecond: number;
  deliveredTotal: number;
  droppedClients: number;
  replicas: {
    replica: string;
    startedAt: string;
    connections: number;
    adminConnections: number;
    subscriptions: number;
    deliveriesPerSecond: number;
    deliveredTotal: number;
    droppedClients: number;
  }[];
}

export const useRealtimeStats = (app: string) =>
  useQuery({
    queryKey: ['apps', app, 'realtime', 'stats'],
    queryFn: () => api<RealtimeStats>('GET', `/v1/admin/apps/${app}/realtime/stats`),
    refetchInterval: 3_000,
  });

export interface TailEvent {
  /** Local sequence number (React key). */
  seq: number;
  collection: string;
  type: string;
  document: Record<string, unknown> & { id?: string };
  at: string;
}

export type TailState = 'connecting' | 'live' | 'paused' | 'error';

/** Keep this many events in the tail; older ones fall off. */
export const TAIL_SIZE = 200;

/** What a refused handshake carries: the contract's error body, as far as it came. */
interface WireError {
  code?: ErrorCode;
  message?: string;
  details?: ErrorDetails;
}

/**
 * Opens an admin socket (`auth.adminToken`) on the app's namespace, subscribes to `*` (every
 * collection) on each (re)connect, and keeps the newest TAIL_SIZE changes. The token follows the
 * dashboard session: each renewal is sent with `auth`; an expired token at the handshake is
 * renewed once and the socket reconnects.
 */
export function useEventTail(app: string) {
  const [events, setEvents] = useState<TailEvent[]>([]);
  const [state, setState] = useState<TailState>('connecting');
  const [error, setError] = useState<string | null>(null);
  const paused = useRef(false);
  const seq = useRef(0);
  const socketRef = useRef<Socket | null>(null);

  useEffect(() => {
    let closed = false;
    let retried = false;
    const socket = io(`/apps/${app}`, {
      path: '/socket.io/',
      transports: ['websocket'],
      autoConnect: false,
      auth: (cb) => void freshToken().then((t) => cb({ adminToken: t ?? '' })),
    });
    socketRef.current = socket;
    socket.on('connect', () => {
      retried = false;
      setError(null);
      void socket.emitWithAck('subscribe', { collection: '*' }).then((r: { error?: WireError }) => {
        if (r?.error) {
          setState('error');
          setError(r.error.message ?? 'Subscribing failed.');
        } else setState(paused.current ? 'paused' : 'live');
      });
    });
    socket.on('connect_error', (err: Error & { data?: WireError }) => {
      if (closed) return;
      if (err.data?.details?.reason === 'token_expired' && !retried) {
        retried = true;
        void refresh().then(() => socket.connect());
        return;
      }
      setState('error');
      setError(err.data?.message ?? err.message);
    });
    socket.on('disconnect', (reason) => {
      if (closed) return;
      // The client reconnects by itself unless the server closed the connection on purpose.
      if (reason === 'io server disconnect') {
        setState('error');
        setError('The server closed the connection.');
      } else setState('connecting');
    });
    socket.on('session', () => {
      // The token expired or the admin signed out: reconnect with the session's current token.
      if (!closed && session.get()) void refresh().then(() => socket.disconnect().connect());
    });
    socket.on('change', (c: Omit<TailEvent, 'seq'>) => {
      if (paused.current) return;
      seq.current += 1;
      const e = { ...c, seq: seq.current };
      setEvents((prev) => [e, ...prev].slice(0, TAIL_SIZE));
    });
    const stop = session.subscribe((s) => {
      if (s && socket.connected) socket.emit('auth', { adminToken: s.accessToken });
    });
    socket.connect();
    return () => {
      closed = true;
      stop();
      socket.disconnect();
      socketRef.current = null;
    };
  }, [app]);

  const setPaused = useCallback((p: boolean) => {
    paused.current = p;
    setState((s) => (s === 'live' || s === 'paused' ? (p ? 'paused' : 'live') : s));
  }, []);
  const clear = useCallback(() => setEvents([]), []);
  const reconnect = useCallback(() => {
    setState('connecting');
    socketRef.current?.connect();
  }, []);
  return { events, state, error, setPaused, clear, reconnect };
}
