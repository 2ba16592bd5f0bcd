// The generated protobuf-es v2 code for the Ledger API (proto/ingressledger/v1). Regenerate with
// `npm run generate`; never edit packages/proto/gen by hand.
export * from './gen/ingressledger/v1/ledger_pb.js';
