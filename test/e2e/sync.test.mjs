// kinto.js offline-first sync: two devices (separate IndexedDB databases)
// of the same user sync one collection of the default bucket; concurrent
// edits produce a conflict that is resolved and synced until both agree.

import "fake-indexeddb/auto";

import assert from "node:assert/strict";

import kintoPkg from "kinto";

import { basicAuth, clientFor, scenario, useServer } from "./harness.mjs";

const Kinto = kintoPkg.default;
const ctx = useServer();

function device(server, user, dbName) {
  const kinto = new Kinto({ remote: server.remote, headers: basicAuth(user), adapterOptions: { dbName } });
  return kinto.collection("todos");
}

// What both devices must agree on, without local-only fields.
async function snapshot(collection) {
  const { data } = await collection.list({ order: "id" });
  return data.map(({ id, title, done, last_modified, _status }) => ({ id, title, done, last_modified, _status }));
}

function assertOk(result, what) {
  assert.equal(result.ok, true,
    `${what}: sync not ok: errors ${JSON.stringify(result.errors)} conflicts ${JSON.stringify(result.conflicts)}`);
}

scenario("two kinto.js devices sync through /buckets/default and resolve a conflict", async () => {
  const a = device(ctx.server, "alice", "alice-laptop");
  const b = device(ctx.server, "alice", "alice-phone");

  // Create on A, sync both, see it on B.
  const { data: created } = await a.create({ title: "milk", done: false });
  const r1 = await a.sync();
  assertOk(r1, "A first sync");
  assert.deepEqual(r1.published.map((r) => r.id), [created.id]);
  const r2 = await b.sync();
  assertOk(r2, "B first sync");
  assert.deepEqual(r2.created.map((r) => r.id), [created.id]);
  const onB = (await b.get(created.id)).data;
  assert.equal(onB.title, "milk");
  assert.equal(onB._status, "synced");

  // The record lives in alice's personal bucket, under its real id.
  const alice = clientFor(ctx.server, "alice");
  const user = await alice.fetchUser();
  assert.match(user.bucket, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, "user.bucket");
  const remote = await alice.bucket(user.bucket).collection("todos").listRecords();
  assert.deepEqual(remote.data.map((r) => r.id), [created.id]);

  // Concurrent edits of the same record.
  const onA = (await a.get(created.id)).data;
  await a.update({ ...onA, title: "oat milk" });
  await b.update({ ...onB, done: true });
  assertOk(await a.sync(), "A pushes its edit");
  const conflicted = await b.sync();
  assert.equal(conflicted.ok, false, "B's sync must report the conflict");
  assert.equal(conflicted.conflicts.length, 1, `conflicts: ${JSON.stringify(conflicted.conflicts)}`);
  const [conflict] = conflicted.conflicts;
  assert.equal(conflict.local.done, true);
  assert.equal(conflict.remote.title, "oat milk");
  assert.equal(conflict.remote.done, false);

  // Merge both edits, push, and let A catch up.
  await b.resolve(conflict, { ...conflict.local, title: conflict.remote.title, done: true });
  const pushed = await b.sync();
  assertOk(pushed, "B pushes the resolution");
  assert.deepEqual(pushed.published.map((r) => r.id), [created.id]);
  const caughtUp = await a.sync();
  assertOk(caughtUp, "A pulls the resolution");
  assert.deepEqual(caughtUp.updated.map((u) => u.new.id), [created.id]);

  const finalA = await snapshot(a);
  const finalB = await snapshot(b);
  assert.deepEqual(finalA, finalB, "both devices end equal");
  assert.equal(finalA[0].title, "oat milk");
  assert.equal(finalA[0].done, true);
  assert.equal(finalA[0]._status, "synced");
  const server = (await alice.bucket(user.bucket).collection("todos").getRecord(created.id)).data;
  assert.equal(server.last_modified, finalA[0].last_modified, "devices hold the server's timestamp");
  assert.equal(server.title, "oat milk");
  assert.equal(server.done, true);

  // A deletion travels as a tombstone through _since.
  await a.delete(created.id);
  assertOk(await a.sync(), "A pushes the deletion");
  const deletion = await b.sync();
  assertOk(deletion, "B pulls the deletion");
  assert.deepEqual(deletion.deleted.map((r) => r.id), [created.id]);
  assert.deepEqual(await snapshot(b), []);
  assert.deepEqual(await snapshot(a), []);
});

scenario("another user's default bucket is a different bucket", async () => {
  const bobDevice = device(ctx.server, "bob", "bob-phone");
  const result = await bobDevice.sync();
  assertOk(result, "bob's first sync");
  assert.equal(result.created.length, 0, "bob sees nothing of alice's");
  await bobDevice.create({ title: "bob's", done: false });
  assertOk(await bobDevice.sync(), "bob pushes");

  const aliceBucket = (await clientFor(ctx.server, "alice").fetchUser()).bucket;
  const bobBucket = (await clientFor(ctx.server, "bob").fetchUser()).bucket;
  assert.notEqual(aliceBucket, bobBucket);
  const aliceSees = await clientFor(ctx.server, "alice").bucket("default").collection("todos").listRecords();
  assert.ok(aliceSees.data.every((r) => r.title !== "bob's"), "alice's default bucket holds bob's record");
});
