// Opens a tiles location: an http(s) URL or a directory.
import { statSync } from 'node:fs';
import { dirFetcher } from './dir-fetcher.js';
import { TilesError } from './errors.js';
import type { TileFetcher } from './fetcher.js';
import { type HttpFetcherOptions, httpFetcher } from './http-fetcher.js';

/** `location` is a tlog-tiles base URL (http:// or https://) or a directory holding the layout. */
export function openTiles(location: string, o: HttpFetcherOptions = {}): TileFetcher {
  if (/^https?:\/\//i.test(location)) {
    let url: URL;
    try {
      url = new URL(location);
    } catch {
      throw new TilesError('BAD_LOCATION', `${location} is not a URL`);
    }
    if (url.search !== '' || url.hash !== '') {
      throw new TilesError('BAD_LOCATION', `${location}: a tiles URL has no query or fragment`);
    }
    return httpFetcher(url, o);
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
    throw new TilesError('BAD_LOCATION', `${location}: only http(s) URLs and directories hold tiles here`);
  }
  let isDir = false;
  try {
    isDir = statSync(location).isDirectory();
  } catch {
    // reported below
  }
  if (!isDir) throw new TilesError('BAD_LOCATION', `${location} is not a directory`);
  return dirFetcher(location);
}
