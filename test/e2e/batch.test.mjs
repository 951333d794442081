// Batch through the client: several operations in one POST /v1/batch,
// responses mapped back one to one, and the client's aggregation of
// published / conflicts / skipped / errors.

import assert from "node:assert/strict";

import { clientFor, countRequests, exchanges, scenario, useServer, userIdOf } from "./harness.mjs";

const ctx = useServer();

scenario("client.batch creates a collection and records in one request", async () => {
  const alice = clientFor(ctx.server, "alice");
  // Not "batch…": Kinto refuses any subrequest path containing "/batch".
  await alice.createBucket("bulk");

  const mark = exchanges.length;
  const responses = await alice.batch((batch) => {
    const bucket = batch.bucket("bulk");
    bucket.createCollection("items");
    const items = bucket.collection("items");
    items.createRecord({ id: "one", n: 1 });
    items.createRecord({ id: "two", n: 2 });
    items.createRecord({ n: 3 });
  });
  assert.equal(countRequests(mark, "POST", /^\/v1\/batch$/), 1, "one HTTP request");
  assert.equal(responses.length, 4);
  assert.deepEqual(responses.map((r) => r.status), [201, 201, 201, 201]);
  assert.deepEqual(responses.map((r) => r.path), [
    "/v1/buckets/bulk/collections/items",
    "/v1/buckets/bulk/collections/items/records/one",
    "/v1/buckets/bulk/collections/items/records/two",
    "/v1/buckets/bulk/collections/items/records",
  ]);
  assert.equal(responses[1].body.data.id, "one");
  assert.equal(responses[2].body.data.n, 2);
  assert.equal(responses[3].body.data.n, 3);
  assert.match(responses[3].body.data.id, /^[0-9a-f-]{36}$/);

  const listed = await alice.bucket("bulk").collection("items").listRecords();
  assert.deepEqual(listed.data.map((r) => r.n).sort(), [1, 2, 3]);
});

scenario("aggregated batch: published, conflicts, skipped and errors", async () => {
  const alice = clientFor(ctx.server, "alice");
  await alice.createBucket("agg");
  await alice.bucket("agg").createCollection("items");
  const existing = (await alice.bucket("agg").collection("items").createRecord({ id: "taken", v: "server" })).data;

  const result = await alice.batch((batch) => {
    batch.createRecord({ id: "fresh", v: 1 });
    batch.createRecord({ id: "taken", v: "client" }, { safe: true });
    batch.deleteRecord("never-existed");
    batch.createRecord({ id: "bad id!" });
  }, { bucket: "agg", collection: "items", aggregate: true });

  assert.deepEqual(result.published.map((p) => p.data.id), ["fresh"]);
  assert.equal(result.conflicts.length, 1, `conflicts ${JSON.stringify(result.conflicts)}`);
  assert.equal(result.conflicts[0].remote.v, "server", "412 carries the existing record");
  assert.equal(result.conflicts[0].remote.last_modified, existing.last_modified);
  assert.deepEqual(result.skipped.map((s) => s.id), ["never-existed"]);
  assert.equal(result.errors.length, 1, `errors ${JSON.stringify(result.errors)}`);
  assert.equal(result.errors[0].error.errno, 107);
});

scenario("batch subrequests are authorized one by one, default bucket included", async () => {
  const alice = clientFor(ctx.server, "alice");
  const bob = clientFor(ctx.server, "bob");
  const bobId = await userIdOf(ctx.server, "bob");
  await alice.createBucket("mixed");
  await alice.bucket("mixed").createCollection("open", { permissions: { write: [bobId] } });
  await alice.bucket("mixed").createCollection("closed");

  const responses = await bob.batch((batch) => {
    batch.bucket("mixed").collection("open").createRecord({ id: "ok" });
    batch.bucket("mixed").collection("closed").createRecord({ id: "no" });
    batch.bucket("default").collection("notes").createRecord({ id: "mine" });
  });
  assert.deepEqual(responses.map((r) => r.status), [201, 403, 201]);
  assert.equal(responses[1].body.errno, 121);
  const bobBucket = (await clientFor(ctx.server, "bob").fetchUser()).bucket;
  assert.equal(responses[2].path, "/v1/buckets/default/collections/notes/records/mine");
  const mine = await bob.bucket(bobBucket).collection("notes").getRecord("mine");
  assert.equal(mine.data.id, "mine", "default bucket and collection created implicitly inside the batch");
});
