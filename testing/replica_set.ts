/**
 * Several real service processes sharing one Redis database and one key pair, as behind a
 * load balancer: what the two-replica interop tests start.
 *
 * @module
 */
import { createClient } from "redis";
import { opensslKeyPair } from "./openssl.ts";
import { type ServerProcess, startServer } from "./server_process.ts";

/** The admin token the replicas are started with. */
export const REPLICA_ADMIN_TOKEN = "replica-admin-token-0123456789";

/** Replicas started by {@linkcode startReplicaSet}. */
export interface ReplicaSet {
  replicas: ServerProcess[];
  /** The folder holding `keys/`, each replica's `<name>/` DATA_DIR and the shared `cron/`. */
  dir: string;
  /** The service's public key, for encrypting seeds to it. */
  publicKeyPath: string;
  /** Starts replica `index` again after it was stopped (same folders). */
  restart(index: number): Promise<ServerProcess>;
  /** Stops every replica. */
  stop(): Promise<void>;
}

/** Options for {@linkcode startReplicaSet}. */
export interface ReplicaSetOptions {
  /** Where keys and data folders go (a temp folder the caller removes). */
  dir: string;
  /** The shared Redis database (emptied first). */
  redisUrl: string;
  /** How many replicas. @default {2} */
  count?: number;
  /** Extra environment for every replica. */
  env?: Record<string, string>;
}

/** Starts `count` replicas named a, b, ... on one Redis database, each with its own DATA_DIR. */
export async function startReplicaSet(options: ReplicaSetOptions): Promise<ReplicaSet> {
  const { dir, redisUrl } = options;
  await Deno.mkdir(`${dir}/keys`, { recursive: true });
  const { publicPath } = await opensslKeyPair(`${dir}/keys`);
  const admin = createClient({ url: redisUrl });
  await admin.connect();
  await admin.flushDb();
  await admin.quit();
  const env = (index: number) => {
    const name = String.fromCharCode(97 + index);
    return {
      KEYS_DIR: `${dir}/keys`,
      DATA_DIR: `${dir}/${name}`,
      CRON_DIR: `${dir}/cron`,
      STATE_STORE: "redis",
      REDIS_URL: redisUrl,
      ADMIN_TOKEN: REPLICA_ADMIN_TOKEN,
      RATE_LIMIT_PER_MINUTE: "0",
      LOG_LEVEL: "warn",
      ...options.env,
    };
  };
  const replicas = await Promise.all(
    Array.from({ length: options.count ?? 2 }, (_, i) => startServer(env(i))),
  );
  return {
    replicas,
    dir,
    publicKeyPath: publicPath,
    async restart(index) {
      replicas[index] = await startServer(env(index));
      return replicas[index];
    },
    async stop() {
      // Stopping a process that already exited is harmless.
      await Promise.all(replicas.map((replica) => replica.stop()));
    },
  };
}

/** Sends a request as the admin, with a JSON body when given. */
export function callReplica(
  replica: ServerProcess,
  method: string,
  path: string,
  body?: unknown,
): Promise<Response> {
  return fetch(replica.url + path, {
    method,
    headers: {
      authorization: `Bearer ${REPLICA_ADMIN_TOKEN}`,
      "content-type": "application/json",
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}
