import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect } from '@nats-io/transport-node';
import { haveNatsServer, type NatsServer, startNatsServer } from './nats-server.js';

describe('the nats-server test harness', {
  skip: haveNatsServer() ? false : 'nats-server is not installed',
}, () => {
  let server: NatsServer;
  before(async () => {
    server = await startNatsServer();
  });
  after(async () => {
    await server.stop({ removeStore: true });
  });

  it('starts a server with JetStream that a client can use', async () => {
    const nc = await connect({ servers: server.url });
    const info = nc.info;
    assert.ok(info?.jetstream, 'JetStream enabled');
    await nc.close();
  });
});
