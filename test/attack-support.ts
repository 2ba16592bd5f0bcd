// Support for the attack tests: a real stack in this process (nats-server child, witness, ledger,
// collector) whose files an attacker can then reach, and the tampering they would do.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { silentLogger, writeKeyFiles } from '../packages/runtime/index.js';
import { cosignatureVkey, generateKey, type PrivateKey, parseVkey } from '../packages/tlog/index.js';
import { startCollector } from '../services/collector/index.js';
import { ledgerConfig, type RunningLedger, startLedger } from '../services/ledger/index.js';
import { startWitness } from '../services/witness/index.js';
import { type NatsServer, startNatsServer } from './support/nats-server.js';

export const ORIGIN = 'ingress-ledger.test/attack';
export const CLUSTER = 'prod';

export interface Stack {
  dir: string;
  nats: NatsServer;
  grpc: string;
  webhook: string;
  token: string;
  logKey: PrivateKey;
  witnessKey: PrivateKey;
  collector: PrivateKey;
  /** A collector key the (compromised) ledger accepts but auditors do not trust. */
  forger: PrivateKey;
  policyFile: string;
  /** Policy without witnesses (`quorum none`): what a rewritten log could still satisfy. */
  logOnlyPolicyFile: string;
  ledger: RunningLedger;
  dbFile: string;
  close(): Promise<void>;
}

const quiet = { logger: silentLogger() };

export async function startStack(): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), 'il-attack-'));
  mkdirSync(join(dir, 'keys'));
  const logKey = generateKey(ORIGIN);
  const witnessKey = generateKey('witness.test/one');
  const collector = generateKey(`collector/${CLUSTER}`);
  const forger = generateKey(`collector/${CLUSTER}`);
  writeKeyFiles(join(dir, 'keys', 'log'), logKey.skey, logKey.vkey);
  writeFileSync(join(dir, 'keys', 'collectors.vkeys'), `${collector.vkey}\n${forger.vkey}\n`);
  const nats = await startNatsServer();
  const witness = await startWitness(
    { dataDir: join(dir, 'witness'), listen: '127.0.0.1:0', key: witnessKey, logs: [parseVkey(logKey.vkey)] },
    quiet,
  );
  const policyFile = join(dir, 'policy');
  writeFileSync(
    policyFile,
    `log ${logKey.vkey}\nwitness w1 ${cosignatureVkey(witnessKey)} ${witness.url}\nquorum w1\n`,
  );
  const logOnlyPolicyFile = join(dir, 'policy-log-only');
  writeFileSync(logOnlyPolicyFile, `log ${logKey.vkey}\nquorum none\n`);
  const ledger = await startLedger(ledgerConfig(ledgerSettings(dir, nats.url, policyFile)), quiet);
  const col = await startCollector(
    {
      cluster: CLUSTER,
      key: collector,
      nats: { url: nats.url },
      webhookListen: '127.0.0.1:0',
      webhookToken: 'attack-test-token',
    },
    quiet,
  );
  return {
    dir,
    nats,
    grpc: ledger.grpcAddress,
    webhook: col.webhookUrl,
    token: 'attack-test-token',
    logKey,
    witnessKey,
    collector,
    forger,
    policyFile,
    logOnlyPolicyFile,
    ledger,
    dbFile: join(dir, 'ledger', 'ledger.sqlite'),
    close: async () => {
      await col.close().catch(() => {});
      await ledger.close().catch(() => {});
      await witness.close().catch(() => {});
      await nats.stop({ removeStore: true });
    },
  };
}

export function ledgerSettings(dir: string, natsUrl: string, policyFile: string | undefined, sub = 'ledger') {
  return {
    'data-dir': join(dir, sub),
    'nats-url': natsUrl,
    'grpc-listen': '127.0.0.1:0',
    key: join(dir, 'keys', 'log.key'),
    'collector-keys': join(dir, 'keys', 'collectors.vkeys'),
    origin: ORIGIN,
    'checkpoint-interval': '200ms',
    'batch-age': '20ms',
    ...(policyFile !== undefined ? { 'witness-policy': policyFile } : {}),
  };
}

/** Opens the ledger's database as an attacker with the file would: triggers dropped first. */
export function tamper(dbFile: string, fn: (db: Database.Database) => void): void {
  const db = new Database(dbFile);
  try {
    const triggers = db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").all() as {
      name: string;
    }[];
    for (const t of triggers) db.exec(`DROP TRIGGER "${t.name}"`);
    db.transaction(() => fn(db))();
  } finally {
    db.close();
  }
}
