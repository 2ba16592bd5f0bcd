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

// Requests started before the code that needs them is ready (the first view's data is fetched
// while the policy is read and parsed); each is used once.
const early = new Map<string, Promise<Response>>();

/** Starts a request now, for the first `get` of the same path and query. */
export function prefetch(path: string, query: URLSearchParams): void {
  const url = target(path, query);
  early.set(url, fetch(url, { headers: { accept: 'application/json' } }));
}

function target(path: string, query: URLSearchParams): string {
  const q = query.toString();
  return q === '' ? path : `${path}?${q}`;
}

async function get<T>(path: string, query: URLSearchParams): Promise<T> {
  const url = target(path, query);
  const started = early.get(url);
  early.delete(url);
  const res = await (started ?? fetch(url, { headers: { accept: 'application/json' } }));
  const body = (await res.json().catch(() => ({}))) as { error?: string };
  if (!res.ok) throw new ApiError(res.status, body.error ?? `HTTP ${res.status}`);
  return body as T;
}

export const fetchTrust = () => get<TrustJson>('/api/trust', new URLSearchParams());
export const fetchEntries = (q: URLSearchParams) => get<EntriesJson>('/api/entries', q);
export const fetchHistory = (q: URLSearchParams) => get<HistoryJson>('/api/history', q);
export const bundleUrl = (index: string) => `/api/bundle?index=${encodeURIComponent(index)}`;
