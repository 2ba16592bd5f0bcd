// The boundary between the search index's refusals and gRPC: every SearchError code becomes a
// status, with the field named, and anything else passes through untouched.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { RpcError } from '../../packages/rpc/index.js';
import { checkedSearch, searchStatus } from './request-validation.js';
import { SearchError, type SearchErrorCode } from './search/index.js';

describe('search refusals at the API boundary', () => {
  const cases: [SearchErrorCode, string, status][] = [
    ['TOO_LONG', 'namespace', status.INVALID_ARGUMENT],
    ['BAD_VALUE', 'verb', status.INVALID_ARGUMENT],
    ['BAD_TEXT', 'text', status.INVALID_ARGUMENT],
    ['BAD_PAGE', 'page_token', status.INVALID_ARGUMENT],
    ['MISSING_FIELD', 'name', status.INVALID_ARGUMENT],
  ];
  for (const [code, field, want] of cases) {
    it(`maps ${code} to ${status[want]}, naming ${field}`, () => {
      const err = searchStatus(new SearchError(code, field, 'why'));
      assert.equal(err.code, want);
      assert.equal(err.message, `${field}: why`);
      assert.throws(
        () =>
          checkedSearch(() => {
            throw new SearchError(code, field, 'why');
          }),
        (e: unknown) => e instanceof RpcError && e.code === want,
      );
    });
  }

  it('lets any other error through as it is (the bridge answers INTERNAL)', () => {
    const bug = new TypeError('bug');
    assert.throws(
      () =>
        checkedSearch(() => {
          throw bug;
        }),
      (e: unknown) => e === bug,
    );
    assert.equal(
      checkedSearch(() => 7),
      7,
    );
  });
});
