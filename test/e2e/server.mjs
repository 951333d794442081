// Starts and stops the Kinto binary under test for one test file.
//
// The suite builds nothing: it runs the binary named by KINTO_BIN (default
// bin/kinto at the repository root) on 127.0.0.1 and a free port, with the
// memory backends and the settings the clients need. Every test file gets
// its own server, so files never see each other's data.
//
// A server must never outlive the suite: it runs in its own process group,
// is stopped (SIGTERM, then SIGKILL) by stop(), by process exit and by
// SIGINT/SIGTERM; it is also wrapped in coreutils `timeout`, so that even a
// SIGKILLed test runner leaves nothing behind for longer than the hard limit.

import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

/** Seconds after which a server is killed whatever happens (E2E_HARD_TIMEOUT). */
export const HARD_TIMEOUT_SECONDS = Number(process.env.E2E_HARD_TIMEOUT || 120);

/**
 * Settings every server of the suite starts with (PROTOCOL-kinto §4): the
 * accounts policy before basicauth, anyone may create an account, schema
 * validation and the /permissions endpoint on.
 */
export const BASE_SETTINGS = Object.freeze({
  KINTO_STORAGE_BACKEND: "memory",
  KINTO_CACHE_BACKEND: "memory",
  KINTO_PERMISSION_BACKEND: "memory",
  KINTO_USERID_HMAC_SECRET: "e2e-userid-secret",
  KINTO_MULTIAUTH_POLICIES: "account basicauth",
  KINTO_ACCOUNT_CREATE_PRINCIPALS: "system.Everyone",
  KINTO_EXPERIMENTAL_COLLECTION_SCHEMA_VALIDATION: "true",
  KINTO_EXPERIMENTAL_PERMISSIONS_ENDPOINT: "true",
  KINTO_BUCKET_CREATE_PRINCIPALS: "system.Authenticated",
  // Not a Kinto setting: this server's bcrypt cost for account passwords.
  // The minimum keeps the many Basic logins of the suite cheap;
  // accounts.test.mjs runs with the production default instead.
  KINTO_ACCOUNT_BCRYPT_COST: "4",
});

/** The binary under test: $KINTO_BIN, else <repo>/bin/kinto. */
export function binaryPath() {
  return path.resolve(here, process.env.KINTO_BIN || "../../bin/kinto");
}

const running = new Set();

function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

// Whatever ends this process, its servers end with it. Exit handlers must be
// synchronous, hence SIGKILL there.
process.on("exit", () => {
  for (const child of running) killGroup(child, "SIGKILL");
});
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.once(sig, () => {
    for (const child of running) killGroup(child, "SIGKILL");
    process.exit(128 + (sig === "SIGINT" ? 2 : sig === "SIGHUP" ? 1 : 15));
  });
}

// The hard limit also applies to this process: a hung test must not keep a
// server (or the runner) alive.
setTimeout(() => {
  console.error(`e2e: hard timeout of ${HARD_TIMEOUT_SECONDS}s reached; killing servers`);
  for (const child of running) killGroup(child, "SIGKILL");
  process.exit(124);
}, HARD_TIMEOUT_SECONDS * 1000).unref();

// freePort asks the kernel for an unused loopback port. The port is free
// again when the server binds it; a lost race is retried by startServer.
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * A running server.
 * @typedef {object} Server
 * @property {string} origin  e.g. "http://127.0.0.1:40123"
 * @property {string} remote  the clients' remote, origin + "/v1"
 * @property {() => string} logs  the server's output so far (last 64 KiB)
 * @property {() => Promise<void>} stop  stops it (idempotent)
 */

/**
 * Starts the binary with BASE_SETTINGS plus `settings` and resolves once
 * GET /v1/__heartbeat__ answers 200.
 * @param {Record<string,string>} [settings] extra or overriding KINTO_* variables
 * @returns {Promise<Server>}
 */
export async function startServer(settings = {}) {
  const bin = binaryPath();
  try {
    accessSync(bin, constants.X_OK);
  } catch {
    throw new Error(`e2e: no executable server at ${bin}; build it (go build -o bin/kinto ./cmd/kinto) or set KINTO_BIN`);
  }
  let lastError;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(bin, settings);
    } catch (err) {
      lastError = err;
      if (!err.portInUse) break;
    }
  }
  throw lastError;
}

async function startOnce(bin, settings) {
  const port = await freePort();
  // The environment is hermetic: KINTO_* variables of the caller's shell
  // (other than KINTO_BIN, which is ours) must not change the contract tested.
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith("KINTO_")) env[k] = v;
  }
  // E2E_BACKEND_SETTINGS (JSON) swaps the backends, e.g. to run the whole
  // suite on PostgreSQL: {"KINTO_STORAGE_BACKEND":"postgresql",…}.
  const backends = JSON.parse(process.env.E2E_BACKEND_SETTINGS || "{}");
  Object.assign(env, BASE_SETTINGS, backends, settings, {
    KINTO_LISTEN_HOST: "127.0.0.1",
    KINTO_HTTP_PORT: String(port),
  });

  const child = spawn(
    "timeout",
    ["--kill-after=5", String(HARD_TIMEOUT_SECONDS), bin, "serve"],
    { env, detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  running.add(child);
  let output = "";
  const collect = (chunk) => {
    output = (output + chunk.toString()).slice(-65536);
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  let exited = null;
  const exitPromise = new Promise((resolve) => {
    child.on("exit", (code, signal) => {
      exited = { code, signal };
      running.delete(child);
      resolve();
    });
  });

  const origin = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (exited) return;
    killGroup(child, "SIGTERM");
    let timer;
    const done = await Promise.race([
      exitPromise.then(() => true),
      new Promise((resolve) => {
        timer = setTimeout(() => resolve(false), 5000);
      }),
    ]);
    clearTimeout(timer);
    if (!done) {
      killGroup(child, "SIGKILL");
      await exitPromise;
    }
  };

  const deadline = Date.now() + 15000;
  while (Date.now() < deadline) {
    if (exited) {
      const err = new Error(`e2e: server exited before answering (${JSON.stringify(exited)}):\n${output}`);
      err.portInUse = /address already in use/i.test(output);
      throw err;
    }
    try {
      const res = await fetch(`${origin}/v1/__heartbeat__`, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) {
        return { origin, remote: `${origin}/v1`, logs: () => output, stop };
      }
      await res.arrayBuffer();
    } catch {
      // Not listening yet.
    }
    await sleep(50);
  }
  await stop();
  throw new Error(`e2e: server on ${origin} did not answer /v1/__heartbeat__ with 200 within 15s:\n${output}`);
}
