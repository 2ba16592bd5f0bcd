// Opens a location (location.ts) as a layout to read or an export to write.
import { DirLayout } from './dir-layout.js';
import { ExportError } from './errors.js';
import type { LayoutReader, LayoutWriter } from './layout-io.js';
import type { Location } from './location.js';
import { type ObjectLock, S3Layout } from './s3-layout.js';
import { tilesSource } from './tiles-source.js';

export interface OpenLayoutOptions {
  /** Object Lock retention for the immutable objects written to S3. */
  objectLock?: ObjectLock;
}

export function openLayout(at: Location, mode: 'read'): LayoutReader;
export function openLayout(at: Location, mode: 'write', o?: OpenLayoutOptions): LayoutWriter;
export function openLayout(at: Location, mode: 'read' | 'write', o: OpenLayoutOptions = {}): LayoutReader {
  if (at.kind === 'http') {
    if (mode === 'write')
      throw new ExportError('USAGE', `${at.url}: an export is written to a directory or s3://`);
    return tilesSource(at.url);
  }
  if (at.kind === 'dir') {
    if (o.objectLock !== undefined)
      throw new ExportError('USAGE', `${at.path}: Object Lock needs an s3:// target`);
    return mode === 'write' ? new DirLayout(at.path).openForWriting() : tilesSource(at.path);
  }
  return new S3Layout({
    bucket: at.bucket,
    prefix: at.prefix,
    ...(o.objectLock === undefined ? {} : { objectLock: o.objectLock }),
  });
}
