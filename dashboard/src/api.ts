/** A thin client for the admin API; errors keep the contract's {code, message, details}. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export interface Session {
  accessToken: string;
  refreshToken: string;
  user: { id: string; email: string };
}

const STORAGE_KEY = 'hearth.session';

export const loadSession = (): Session | null => {
  try {
    return JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null') as Session | null;
  } catch {
    return null;
  }
};
export const saveSession = (s: Session | null) =>
  s ? localStorage.setItem(STORAGE_KEY, JSON.stringify(s)) : localStorage.removeItem(STORAGE_KEY);

export async function api<T>(method: string, path: string, body?: unknown, session?: Session | null): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: {
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...(session ? { Authorization: `Bearer ${session.accessToken}` } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  if (res.status === 204) return undefined as T;
  const json = (await res.json().catch(() => ({}))) as {
    error?: { code: string; message: string; details?: Record<string, unknown> };
  };
  if (!res.ok) {
    const e = json.error ?? { code: 'internal', message: res.statusText };
    throw new ApiError(res.status, e.code, e.message, e.details);
  }
  return json as T;
}
