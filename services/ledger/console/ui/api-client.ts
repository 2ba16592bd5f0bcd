// The console's data API (console-api.ts on the server), same origin, JSON.
import type { EntriesJson, HistoryJson, TrustJson } from '../entry-json.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function get<T>(path: string, query: URLSearchParams): Promise<T> {
  const q = query.toString();
  const res = await fetch(q === '' ? path : `${path}?${q}`, { headers: { accept: 'application/json' } });
  const body = (await res.json().catch(() => ({}))) as { error?: string };
  if (!res.ok) throw new ApiError(res.status, body.error ?? `HTTP ${res.status}`);
  return body as T;
}

export const fetchTrust = () => get<TrustJson>('/api/trust', new URLSearchParams());
export const fetchEntries = (q: URLSearchParams) => get<EntriesJson>('/api/entries', q);
export const fetchHistory = (q: URLSearchParams) => get<HistoryJson>('/api/history', q);
export const bundleUrl = (index: string) => `/api/bundle?index=${encodeURIComponent(index)}`;
