// The history plugin through kinto-http: bucket.listHistory() with
// filters, and collection.listRecords({ at }), which rebuilds a collection
// as it was at a timestamp from the bucket's history; Kinto's snapshot
// view, which the client does not call, must agree with it.

import assert from "node:assert/strict";

import { basicAuth, clientFor, rejects, scenario, useServer, userIdOf } from "./harness.mjs";

const ctx = useServer({ KINTO_INCLUDES: "kinto.plugins.history kinto.plugins.accounts" });

scenario("history of a bucket, filtered; a collection at a past timestamp", async () => {
  const alice = clientFor(ctx.server, "alice");
  const aliceId = await userIdOf(ctx.server, "alice");
  await alice.createBucket("diary");
  const bucket = alice.bucket("diary");
  await bucket.createCollection("days");
  const days = bucket.collection("days");

  const monday = await days.createRecord({ id: "monday", mood: "sleepy" });
  const tuesday = await days.createRecord({ id: "tuesday", mood: "busy" });
  const at = tuesday.data.last_modified;
  await days.updateRecord({ id: "monday", mood: "rested" });
  await days.deleteRecord("tuesday");
  await days.createRecord({ id: "wednesday", mood: "fine" });

  const { data: all } = await bucket.listHistory();
  assert.deepEqual(
    all.map((e) => `${e.action} ${e.resource_name} ${e.record_id || e.collection_id || e.bucket_id}`),
    [
      "create record wednesday",
      "delete record tuesday",
      "update record monday",
      "create record tuesday",
      "create record monday",
      "create collection days",
      "create bucket diary",
    ],
  );
  assert.equal(all[2].user_id, aliceId);
  assert.equal(all[2].target.data.mood, "rested");
  assert.equal(all[4].target.data.last_modified, monday.data.last_modified);

  const { data: mondays } = await bucket.listHistory({ filters: { resource_name: "record", record_id: "monday" } });
  assert.deepEqual(mondays.map((e) => e.action), ["update", "create"]);

  // The collection as it was right after tuesday was created.
  const past = await days.listRecords({ at });
  assert.deepEqual(
    past.data.map((r) => `${r.id} ${r.mood}`),
    ["tuesday busy", "monday sleepy"],
  );
  const now = await days.listRecords();
  assert.deepEqual(now.data.map((r) => `${r.id} ${r.mood}`), ["wednesday fine", "monday rested"]);
});

scenario("Kinto's snapshot view agrees with listRecords({ at })", async () => {
  const alice = clientFor(ctx.server, "alice");
  await alice.createBucket("notes");
  const bucket = alice.bucket("notes");
  await bucket.createCollection("todo");
  const todo = bucket.collection("todo");

  const milk = await todo.createRecord({ id: "milk", done: false });
  const bread = await todo.createRecord({ id: "bread", done: false });
  const at = bread.data.last_modified;
  await todo.updateRecord({ id: "milk", done: true });
  await todo.deleteRecord("bread");
  await todo.createRecord({ id: "eggs", done: false });

  const snapshot = { path: `/buckets/notes/snapshot/collections/todo@${at}` };
  const served = await alice.execute({ ...snapshot, headers: basicAuth("alice") });
  const rebuilt = await todo.listRecords({ at });
  const summary = (list) => list.map((r) => `${r.id} ${r.done} ${r.last_modified}`);
  assert.deepEqual(summary(served.data), [`bread false ${at}`, `milk false ${milk.data.last_modified}`]);
  assert.deepEqual(summary(served.data), summary(rebuilt.data));

  // Only readers of the bucket or the collection may ask.
  const bob = clientFor(ctx.server, "bob");
  await rejects(bob.execute({ ...snapshot, headers: basicAuth("bob") }), 403, 121, "bob's snapshot");
});
