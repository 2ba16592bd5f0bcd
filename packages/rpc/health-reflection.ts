import { create, type DescFile, toBinary } from '@bufbuild/protobuf';
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FileDescriptorProtoSchema,
} from '@bufbuild/protobuf/wkt';
import type * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, type ServingStatusMap } from 'grpc-health-check';

/** The health service's full name, listed by reflection beside the application's services. */
export const HEALTH_SERVICE = 'grpc.health.v1.Health';

/**
 * grpc.health.v1 as a descriptor, so reflection clients (grpcurl, grpcui) can describe the health
 * service too; grpc-health-check serves it but ships only a .proto file.
 */
function healthFileProto(): Uint8Array {
  const { STRING: TYPE_STRING, ENUM: TYPE_ENUM } = FieldDescriptorProto_Type;
  const { OPTIONAL } = FieldDescriptorProto_Label;
  return toBinary(
    FileDescriptorProtoSchema,
    create(FileDescriptorProtoSchema, {
      name: 'grpc/health/v1/health.proto',
      package: 'grpc.health.v1',
      syntax: 'proto3',
      messageType: [
        {
          name: 'HealthCheckRequest',
          field: [{ name: 'service', number: 1, label: OPTIONAL, type: TYPE_STRING, jsonName: 'service' }],
        },
        {
          name: 'HealthCheckResponse',
          field: [
            {
              name: 'status',
              number: 1,
              label: OPTIONAL,
              type: TYPE_ENUM,
              typeName: '.grpc.health.v1.HealthCheckResponse.ServingStatus',
              jsonName: 'status',
            },
          ],
          enumType: [
            {
              name: 'ServingStatus',
              value: [
                { name: 'UNKNOWN', number: 0 },
                { name: 'SERVING', number: 1 },
                { name: 'NOT_SERVING', number: 2 },
                { name: 'SERVICE_UNKNOWN', number: 3 },
              ],
            },
          ],
        },
      ],
      service: [
        {
          name: 'Health',
          method: [
            {
              name: 'Check',
              inputType: '.grpc.health.v1.HealthCheckRequest',
              outputType: '.grpc.health.v1.HealthCheckResponse',
            },
            {
              name: 'Watch',
              inputType: '.grpc.health.v1.HealthCheckRequest',
              outputType: '.grpc.health.v1.HealthCheckResponse',
              serverStreaming: true,
            },
          ],
        },
      ],
    }),
  );
}

/** Every file of `files` and, transitively, their imports, each once. */
function withDependencies(files: DescFile[]): DescFile[] {
  const seen = new Map<string, DescFile>();
  const visit = (f: DescFile) => {
    if (seen.has(f.name)) return;
    seen.set(f.name, f);
    for (const dep of f.dependencies) visit(dep);
  };
  for (const f of files) visit(f);
  return [...seen.values()];
}

type PackageDefinition = ConstructorParameters<typeof ReflectionService>[0];

/**
 * Registers grpc.health.v1 and server reflection (v1 and v1alpha) on `server`. Reflection
 * describes `files` (with their imports) and lists `services` plus the health service. Every
 * service in `services`, and the server as a whole (""), starts SERVING; the setter changes one.
 */
export function addHealthAndReflection(
  server: grpc.Server,
  files: DescFile[],
  services: string[],
): { setServing(service: string, serving: boolean): void } {
  const initial: ServingStatusMap = { '': 'SERVING' };
  for (const s of services) initial[s] = 'SERVING';
  const health = new HealthImplementation(initial);
  health.addToServer(server as never);

  // @grpc/reflection reads only fileDescriptorProtos from a proto-loader package definition, so
  // the serialized descriptors of protobuf-es are all it needs (no proto-loader, no .proto files).
  const fileDescriptorProtos = [
    ...withDependencies(files).map((f) => Buffer.from(toBinary(FileDescriptorProtoSchema, f.proto))),
    Buffer.from(healthFileProto()),
  ];
  const definition = { reflected: { fileDescriptorProtos } } as unknown as PackageDefinition;
  new ReflectionService(definition, { services: [...services, HEALTH_SERVICE] }).addToServer(server);

  return {
    setServing(service, serving) {
      health.setStatus(service, serving ? 'SERVING' : 'NOT_SERVING');
    },
  };
}
