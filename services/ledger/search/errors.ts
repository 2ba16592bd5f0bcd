// Bad requests become INVALID_ARGUMENT with a message naming the field ("page_size: at most 1000").
// The error carries grpc-js's numeric `code` and `details`, so any bridge that passes a thrown
// error's status through answers the right code.
import { status } from '@grpc/grpc-js';

export class SearchRequestError extends Error {
  override readonly name = 'SearchRequestError';
  readonly code = status.INVALID_ARGUMENT;
  readonly details: string;
  constructor(field: string, why: string) {
    super(`${field}: ${why}`);
    this.details = this.message;
  }
}

export const invalidArgument = (field: string, why: string): Error => new SearchRequestError(field, why);
