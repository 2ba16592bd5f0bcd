// Bad requests become RpcError(INVALID_ARGUMENT) with a message naming the field
// ("page_size: at most 1000"), the status the rpc bridge sends as is.
import { status } from '@grpc/grpc-js';
import { RpcError } from '../../../packages/rpc/index.js';

export const invalidArgument = (field: string, why: string): RpcError =>
  new RpcError(status.INVALID_ARGUMENT, `${field}: ${why}`);
