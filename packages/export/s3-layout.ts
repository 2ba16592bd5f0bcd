// A layout in an S3 bucket under a prefix, through @aws-sdk/client-s3 configured the standard AWS
// way (AWS_REGION, AWS_ACCESS_KEY_ID, AWS_ENDPOINT_URL, profiles...). A PUT is atomic, so a
// killed export never leaves a half object. Immutable objects are written only after a GET found
// nothing, and with If-None-Match: * so a race with another writer cannot replace one either;
// with Object Lock each gets its own retention (mode and retain-until date).
import { createHash } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand, type PutObjectCommandInput, S3Client } from '@aws-sdk/client-s3';
import { ExportError } from './errors.js';
import { type LayoutWriter, type PutOutcome, sameBytes } from './layout-io.js';

export type ObjectLockMode = 'COMPLIANCE' | 'GOVERNANCE';

export interface ObjectLock {
  mode: ObjectLockMode;
  /** The retain-until date of an object written at `now`. */
  retainUntil: (now: Date) => Date;
}

export interface S3LayoutOptions {
  bucket: string;
  /** Key prefix without leading or trailing slash; '' for the bucket's root. */
  prefix: string;
  objectLock?: ObjectLock;
  client?: S3Client;
}

/** Cache headers of DESIGN 10, so a bucket served over HTTP behaves like the ledger's server. */
const IMMUTABLE_CACHE = 'public, max-age=31536000, immutable';
const LATEST_CACHE = 'no-cache';

interface AwsError {
  name?: string;
  $metadata?: { httpStatusCode?: number };
  message?: string;
}

const status = (err: unknown) => (err as AwsError).$metadata?.httpStatusCode;
const describeAws = (err: unknown) =>
  `${(err as AwsError).name ?? 'Error'}: ${(err as AwsError).message ?? ''}`;

/**
 * An S3 client from the environment. A custom endpoint (AWS_ENDPOINT_URL[_S3]: MinIO, Ceph, a test
 * server) gets path-style addressing, which S3-compatible stores expect.
 */
export function s3ClientFromEnv(): S3Client {
  const custom = process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
  return new S3Client({ forcePathStyle: custom !== undefined && custom !== '' });
}

export class S3Layout implements LayoutWriter {
  readonly describe: string;
  readonly #client: S3Client;

  constructor(readonly o: S3LayoutOptions) {
    this.#client = o.client ?? s3ClientFromEnv();
    this.describe = `s3://${o.bucket}/${o.prefix}`;
  }

  #key(key: string): string {
    return this.o.prefix === '' ? key : `${this.o.prefix}/${key}`;
  }

  async read(key: string, max: number): Promise<Uint8Array | undefined> {
    const got = await this.#get(key, max);
    if (got === TOO_LARGE)
      throw new ExportError('SOURCE', `${this.describe}${key}: larger than ${max} bytes`);
    return got;
  }

  async #get(key: string, max: number): Promise<Uint8Array | typeof TOO_LARGE | undefined> {
    try {
      const res = await this.#client.send(
        new GetObjectCommand({ Bucket: this.o.bucket, Key: this.#key(key) }),
      );
      if ((res.ContentLength ?? 0) > max) {
        await res.Body?.transformToWebStream().cancel();
        return TOO_LARGE;
      }
      const bytes = (await res.Body?.transformToByteArray()) ?? new Uint8Array(0);
      return bytes.length > max ? TOO_LARGE : bytes;
    } catch (err) {
      if (status(err) === 404) return undefined;
      throw new ExportError('TARGET', `${this.describe}/${key}: ${describeAws(err)}`);
    }
  }

  async putOnce(key: string, bytes: Uint8Array): Promise<PutOutcome> {
    const existing = await this.#get(key, bytes.length);
    if (existing !== undefined) return this.#compare(key, existing, bytes);
    const input: PutObjectCommandInput = {
      ...this.#put(key, bytes),
      CacheControl: IMMUTABLE_CACHE,
      IfNoneMatch: '*',
    };
    if (this.o.objectLock !== undefined) {
      input.ObjectLockMode = this.o.objectLock.mode;
      input.ObjectLockRetainUntilDate = this.o.objectLock.retainUntil(new Date());
    }
    try {
      await this.#client.send(new PutObjectCommand(input));
      return 'written';
    } catch (err) {
      // 412: someone wrote it between our GET and PUT (409: a concurrent conditional write).
      if (status(err) === 412 || status(err) === 409) {
        const now = await this.#get(key, bytes.length);
        if (now !== undefined) return this.#compare(key, now, bytes);
      }
      throw new ExportError('TARGET', `${this.describe}/${key}: ${describeAws(err)}`);
    }
  }

  #compare(key: string, existing: Uint8Array | typeof TOO_LARGE, bytes: Uint8Array): PutOutcome {
    if (existing !== TOO_LARGE && sameBytes(existing, bytes)) return 'same';
    throw new ExportError('CONFLICT', `${this.describe}/${key} exists with other bytes than the log's`);
  }

  async putLatest(key: string, bytes: Uint8Array): Promise<void> {
    try {
      await this.#client.send(new PutObjectCommand({ ...this.#put(key, bytes), CacheControl: LATEST_CACHE }));
    } catch (err) {
      throw new ExportError('TARGET', `${this.describe}/${key}: ${describeAws(err)}`);
    }
  }

  #put(key: string, bytes: Uint8Array): PutObjectCommandInput {
    return {
      Bucket: this.o.bucket,
      Key: this.#key(key),
      Body: bytes,
      ContentLength: bytes.length,
      // Object Lock requires an integrity header on every PUT; MD5 is the one every store knows.
      ContentMD5: createHash('md5').update(bytes).digest('base64'),
      ContentType:
        key === 'checkpoint' || key.startsWith('checkpoints/')
          ? 'text/plain; charset=utf-8'
          : 'application/octet-stream',
    };
  }

  close(): void {
    if (this.o.client === undefined) this.#client.destroy();
  }
}

const TOO_LARGE = Symbol('too large');
