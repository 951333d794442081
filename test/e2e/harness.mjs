// Shared test plumbing: one server per test file, kinto-http clients per
// user, and a recorder of every HTTP exchange so that a failing scenario
// reports the exact requests and responses that differed from Kinto.
//
// The recorder wraps globalThis.fetch, which both kinto-http and kinto.js
// call; they bind it when a client is constructed, so this module must be
// loaded before any client exists (test files import it at the top).

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import kintoHttp from "kinto-http";

import { startServer } from "./server.mjs";

/** The published kinto-http client class, unmodified. */
export const KintoClient = kintoHttp.default;

// ---------------------------------------------------------------------------
// Exchange recorder

/** Every HTTP exchange of this process, oldest first. */
export const exchanges = [];

const realFetch = globalThis.fetch;
const SHOWN_REQUEST_HEADERS = ["authorization", "if-match", "if-none-match", "content-type"];
const SHOWN_RESPONSE_HEADERS = ["etag", "next-page", "total-records", "total-objects", "www-authenticate", "retry-after"];

function headerObject(h) {
  if (!h) return {};
  if (typeof h.entries === "function") return Object.fromEntries(h.entries());
  if (Array.isArray(h)) return Object.fromEntries(h);
  return { ...h };
}

globalThis.fetch = async function recordingFetch(input, init = {}) {
  const url = typeof input === "string" ? input : input.url;
  const res = await realFetch(input, init);
  if (url.includes("/__heartbeat__")) return res;
  const entry = {
    method: (init.method || "GET").toUpperCase(),
    url,
    requestHeaders: headerObject(init.headers),
    requestBody: typeof init.body === "string" ? init.body : undefined,
    status: res.status,
    responseHeaders: headerObject(res.headers),
    responseBody: await res.clone().text(),
  };
  exchanges.push(entry);
  return res;
};

function lowerKeys(o) {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k.toLowerCase(), v]));
}

function describeAuth(value) {
  const m = /^Basic (.+)$/.exec(value || "");
  if (!m) return value;
  const user = Buffer.from(m[1], "base64").toString().split(":")[0];
  return `Basic <${user}>`;
}

const clip = (s, n) => (s.length > n ? `${s.slice(0, n)}…(${s.length} bytes)` : s);

/** Renders exchanges as a readable transcript (request line, key headers, bodies). */
export function transcript(list) {
  return list
    .map((e) => {
      const u = new URL(e.url);
      const lines = [`> ${e.method} ${u.pathname}${u.search}`];
      const rq = lowerKeys(e.requestHeaders);
      for (const h of SHOWN_REQUEST_HEADERS) {
        if (rq[h] !== undefined && !(h === "content-type" && rq[h] === "application/json")) {
          lines.push(`> ${h}: ${h === "authorization" ? describeAuth(rq[h]) : rq[h]}`);
        }
      }
      if (e.requestBody) lines.push(`> ${clip(e.requestBody, 400)}`);
      lines.push(`< ${e.status}`);
      const rs = lowerKeys(e.responseHeaders);
      for (const h of SHOWN_RESPONSE_HEADERS) {
        if (rs[h] !== undefined) lines.push(`< ${h}: ${rs[h]}`);
      }
      if (e.responseBody) lines.push(`< ${clip(e.responseBody, 400)}`);
      return lines.join("\n");
    })
    .join("\n\n");
}

// ---------------------------------------------------------------------------
// Server and clients

/**
 * Starts one server for the calling test file (before its first test) and
 * stops it after the last one. Returns an object whose `server` field is
 * set once started.
 * @param {Record<string,string>} [settings] extra KINTO_* variables
 */
export function useServer(settings = {}) {
  const ctx = { server: null };
  before(async () => {
    ctx.server = await startServer(settings);
  });
  after(async () => {
    if (ctx.server) await ctx.server.stop();
  });
  return ctx;
}

/** Basic credentials header for a user (basicauth or accounts). */
export function basicAuth(user, password = `${user}-password`) {
  return { Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` };
}

/**
 * A kinto-http client for `user` (null: anonymous). Retries are off so that
 * a failing status reaches the test instead of being retried.
 */
export function clientFor(server, user, password) {
  const headers = user ? basicAuth(user, password) : {};
  return new KintoClient(server.remote, { headers, retry: 0 });
}

/** The user id the server gives these credentials (a fresh client, no cached hello). */
export async function userIdOf(server, user, password) {
  const info = await clientFor(server, user, password).fetchUser();
  assert.ok(info && info.id, `GET /v1/ as ${user}: no user block`);
  return info.id;
}

// ---------------------------------------------------------------------------
// Assertions

/**
 * Declares a test whose failure message ends with the transcript of the
 * HTTP exchanges it made.
 */
export function scenario(name, fn) {
  return test(name, async (t) => {
    const mark = exchanges.length;
    try {
      await fn(t);
    } catch (err) {
      const tail = exchanges.slice(mark).slice(-12);
      const skipped = exchanges.length - mark - tail.length;
      const header = skipped > 0 ? `(${skipped} earlier exchanges omitted)\n` : "";
      const wrapped = new Error(
        `${err.message}\n\n--- last HTTP exchanges of this test ---\n${header}${transcript(tail)}`,
        { cause: err },
      );
      throw wrapped;
    }
  });
}

/**
 * Awaits a client call that must fail with an HTTP error of this status
 * and errno (kinto-http's ServerResponse: err.response.status, err.data).
 * Returns the error body.
 */
export async function rejects(promise, status, errno, what = "request") {
  let result;
  try {
    result = await promise;
  } catch (err) {
    const got = err.response ? err.response.status : undefined;
    assert.equal(got, status, `${what}: status ${got} (${err.message}), want ${status}`);
    if (errno !== undefined) {
      assert.equal(err.data && err.data.errno, errno, `${what}: errno ${err.data && err.data.errno}, want ${errno}`);
    }
    return err.data;
  }
  assert.fail(`${what}: succeeded with ${JSON.stringify(result).slice(0, 300)}, want HTTP ${status}`);
}

/** Counts recorded requests since `mark` matching method and a path regexp. */
export function countRequests(mark, method, pathRe) {
  return exchanges.slice(mark).filter((e) => e.method === method && pathRe.test(new URL(e.url).pathname)).length;
}
