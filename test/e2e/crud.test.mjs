// kinto-http basics: bucket, collection and record CRUD, optimistic
// concurrency with `safe` (If-Match / If-None-Match) and deletion.

import assert from "node:assert/strict";

import { clientFor, rejects, scenario, useServer, userIdOf } from "./harness.mjs";

const ctx = useServer();

scenario("create bucket, collection and records; list, update safely, delete", async () => {
  const alice = clientFor(ctx.server, "alice");
  const aliceId = await userIdOf(ctx.server, "alice");

  const bucket = await alice.createBucket("blog");
  assert.equal(bucket.data.id, "blog");
  assert.ok(bucket.permissions.write.includes(aliceId), `bucket write ${JSON.stringify(bucket.permissions)} lacks the creator ${aliceId}`);

  const created = await alice.bucket("blog").createCollection("articles");
  assert.equal(created.data.id, "articles");
  const articles = alice.bucket("blog").collection("articles");

  // Without an id the client POSTs; with one it PUTs.
  const first = await articles.createRecord({ title: "first" });
  assert.match(first.data.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, "server-made id is a UUID4");
  assert.equal(first.data.title, "first");
  assert.equal(typeof first.data.last_modified, "number");
  const second = await articles.createRecord({ id: "second", title: "second" });
  assert.equal(second.data.id, "second");
  assert.ok(second.data.last_modified > first.data.last_modified, "timestamps increase within a collection");

  const list = await articles.listRecords();
  assert.deepEqual(list.data.map((r) => r.id), ["second", first.data.id], "default sort is -last_modified");
  assert.equal(list.last_modified, String(second.data.last_modified), "list ETag is the newest timestamp");
  assert.equal(list.hasNextPage, false);

  const got = await articles.getRecord("second");
  assert.deepEqual(got.data, second.data);

  // A safe update carries If-Match: "<last_modified>" and succeeds once.
  const updated = await articles.updateRecord({ ...second.data, title: "edited" }, { safe: true });
  assert.equal(updated.data.title, "edited");
  assert.ok(updated.data.last_modified > second.data.last_modified);

  // The same stale version again: 412 with the current object in details.
  const conflict = await rejects(
    articles.updateRecord({ ...second.data, title: "stale" }, { safe: true }),
    412, 114, "update with a stale If-Match",
  );
  assert.equal(conflict.details && conflict.details.existing && conflict.details.existing.title, "edited",
    "412 details.existing is the current record");

  // A safe create of an existing id sends If-None-Match: * and fails.
  await rejects(articles.createRecord({ id: "second", title: "dup" }, { safe: true }), 412, 114, "safe create of an existing id");

  // A stale safe delete fails; the current one works and leaves a tombstone.
  await rejects(articles.deleteRecord("second", { safe: true, last_modified: second.data.last_modified }), 412, 114, "stale safe delete");
  const deleted = await articles.deleteRecord("second", { safe: true, last_modified: updated.data.last_modified });
  assert.equal(deleted.data.id, "second");
  assert.equal(deleted.data.deleted, true);
  await rejects(articles.getRecord("second"), 404, 110, "GET deleted record");

  const after = await articles.listRecords();
  assert.deepEqual(after.data.map((r) => r.id), [first.data.id]);
  const since = await articles.listRecords({ since: list.last_modified });
  assert.deepEqual(since.data.map((r) => [r.id, r.deleted]), [["second", true]], "_since shows the tombstone");
  assert.equal(await articles.getTotalRecords(), 1);

  // Deleting the collection removes its records.
  await alice.bucket("blog").deleteCollection("articles");
  const collections = await alice.bucket("blog").listCollections();
  assert.deepEqual(collections.data, []);
  await rejects(articles.listRecords(), 404, 111, "records of a deleted collection");
});

scenario("ids outside the pattern are refused with 400", async () => {
  const alice = clientFor(ctx.server, "alice");
  await rejects(alice.createBucket("bad id!"), 400, 107, "bucket id with a space");
  await alice.createBucket("ids");
  await alice.bucket("ids").createCollection("c");
  await rejects(alice.bucket("ids").collection("c").createRecord({ id: "-starts-with-dash" }), 400, 107, "record id with a leading dash");
});
