import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { create, createFileRegistry, fromBinary } from '@bufbuild/protobuf';
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import {
  type FileDescriptorProto,
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
} from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import { file_ingressledger_v1_ledger, Ledger } from '../proto/index.js';
import { HEALTH_SERVICE } from './health-reflection.js';
import { addHealthAndReflection, addService, listen, serverCredentials } from './index.js';
import { Probe, testLedger } from './testing.js';

const identity = (b: Buffer) => b;

/** Orders files after their imports, as createFileRegistry wants them. */
function registryOf(files: FileDescriptorProto[]) {
  const placed: FileDescriptorProto[] = [];
  const pending = [...files];
  while (pending.length > 0) {
    const i = pending.findIndex((f) => f.dependency.every((d) => placed.some((p) => p.name === d)));
    assert.ok(i >= 0, 'reflection returned a file whose imports are missing');
    placed.push(...pending.splice(i, 1));
  }
  return createFileRegistry(create(FileDescriptorSetSchema, { file: placed }));
}

/** Walks the top-level fields of a message, handing each (field number, reader) to `visit`. */
function fields(bytes: Uint8Array, visit: (no: number, r: BinaryReader) => boolean): void {
  const r = new BinaryReader(bytes);
  while (r.pos < r.len) {
    const [no, wt] = r.tag();
    if (!visit(no, r)) r.skip(wt, no);
  }
}

/**
 * A minimal grpc.reflection client: one request on the bidi stream, one response back. Request
 * field 7 is list_services, 4 is file_containing_symbol; response field 6 is list_services_response
 * (repeated ServiceResponse{name = 1}), 4 is file_descriptor_response (repeated bytes = 1), 7 is
 * error_response.
 */
async function reflect(port: number, version: 'v1' | 'v1alpha', field: 4 | 7, value: string) {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const call = client.makeBidiStreamRequest(
    `/grpc.reflection.${version}.ServerReflection/ServerReflectionInfo`,
    identity,
    identity,
  );
  const request = new BinaryWriter().tag(field, WireType.LengthDelimited).string(value).finish();
  const response = await new Promise<Buffer>((resolve, reject) => {
    call.once('data', resolve);
    call.once('error', reject);
    call.write(Buffer.from(request));
  });
  call.end();
  client.close();
  const services: string[] = [];
  const files: FileDescriptorProto[] = [];
  let errored = false;
  fields(response, (no, r) => {
    if (no === 6) {
      fields(r.bytes(), (n, sr) => {
        if (n === 1) fields(sr.bytes(), (m, nr) => m === 1 && services.push(nr.string()) > 0);
        return n === 1;
      });
      return true;
    }
    if (no === 4) {
      fields(
        r.bytes(),
        (n, fr) => n === 1 && files.push(fromBinary(FileDescriptorProtoSchema, fr.bytes())) > 0,
      );
      return true;
    }
    if (no === 7) {
      errored = true;
      r.bytes();
      return true;
    }
    return false;
  });
  return { services, files, errored };
}

/** grpc.health.v1.Health/Check by hand: request field 1 is the service; response field 1 the status. */
function healthCheck(port: number, service: string): Promise<number> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const request = Buffer.from(new BinaryWriter().tag(1, WireType.LengthDelimited).string(service).finish());
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest('/grpc.health.v1.Health/Check', identity, identity, request, (err, res) => {
      client.close();
      if (err !== null) return reject(err);
      let status = 0;
      fields(res ?? Buffer.alloc(0), (no, r) => no === 1 && (status = r.int32()) >= 0);
      resolve(status);
    });
  });
}

const SERVING = 1;
const NOT_SERVING = 2;

describe('health and reflection on the Ledger server', () => {
  const server = new grpc.Server();
  let port = 0;
  let health: ReturnType<typeof addHealthAndReflection>;

  before(async () => {
    addService(server, Ledger, testLedger(new Probe()));
    health = addHealthAndReflection(server, [file_ingressledger_v1_ledger], [Ledger.typeName]);
    port = await listen(server, '127.0.0.1:0', serverCredentials());
  });
  after(() => server.forceShutdown());

  describe('grpc.health.v1', () => {
    it('reports the server and the Ledger service as SERVING', async () => {
      assert.equal(await healthCheck(port, ''), SERVING);
      assert.equal(await healthCheck(port, 'ingressledger.v1.Ledger'), SERVING);
    });

    it('follows setServing', async () => {
      health.setServing('ingressledger.v1.Ledger', false);
      assert.equal(await healthCheck(port, 'ingressledger.v1.Ledger'), NOT_SERVING);
      health.setServing('ingressledger.v1.Ledger', true);
      assert.equal(await healthCheck(port, 'ingressledger.v1.Ledger'), SERVING);
    });

    it('answers an unknown service with NOT_FOUND', async () => {
      await assert.rejects(
        healthCheck(port, 'no.such.Service'),
        (e: grpc.ServiceError) => e.code === grpc.status.NOT_FOUND,
      );
    });
  });

  describe('server reflection', () => {
    for (const version of ['v1', 'v1alpha'] as const) {
      it(`lists ingressledger.v1.Ledger and the health service (${version})`, async () => {
        const { services } = await reflect(port, version, 7, '*');
        assert.deepEqual([...services].sort(), [HEALTH_SERVICE, 'ingressledger.v1.Ledger']);
      });
    }

    it('describes the Ledger service with descriptors that link (imports included)', async () => {
      const { files } = await reflect(port, 'v1', 4, 'ingressledger.v1.Ledger');
      const names = files.map((f) => f.name);
      assert.ok(names.includes('ingressledger/v1/ledger.proto'));
      assert.ok(names.includes('google/protobuf/timestamp.proto'));
      const registry = registryOf(files);
      const svc = registry.getService('ingressledger.v1.Ledger');
      assert.deepEqual(
        svc?.methods.map((m) => m.name),
        Ledger.methods.map((m) => m.name),
      );
      assert.equal(svc?.method['watchEntries']?.methodKind, 'server_streaming');
    });

    it('describes the health service', async () => {
      const { files } = await reflect(port, 'v1', 4, 'grpc.health.v1.Health');
      const registry = registryOf(files);
      assert.deepEqual(
        registry.getService(HEALTH_SERVICE)?.methods.map((m) => m.name),
        ['Check', 'Watch'],
      );
    });

    it('answers an unknown symbol with an error response, not a crash', async () => {
      const { errored, files } = await reflect(port, 'v1', 4, 'no.such.Symbol');
      assert.ok(errored);
      assert.equal(files.length, 0);
    });
  });
});
