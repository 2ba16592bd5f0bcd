// The console's query-string names, shared by the browser (its URL) and the server (its API), so a
// shared link and the request it makes use the same words: the `search` command's (DESIGN 12).

/** Filters of the timeline: the `search` flags without their dashes' prefix. */
export const FILTER_PARAMS = [
  'cluster',
  'namespace',
  'name',
  'user',
  'action',
  'verb',
  'resource',
  'host',
  'response-code',
  'risk',
  'since',
  'until',
  'text',
] as const;
/** The timeline's API takes the filters plus paging. */
export const SEARCH_PARAMS = [...FILTER_PARAMS, 'limit', 'page'] as const;
/** One object's history: `object=<namespace>/<name>` (or a uid), optionally in one cluster. */
export const HISTORY_PARAMS = ['object', 'cluster', 'resource', 'uid'] as const;
