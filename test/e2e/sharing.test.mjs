// Sharing: the owner of a collection grants read to another user with
// setPermissions / addPermissions / removePermissions; the reader can read
// but not write (403), strangers get 403 and anonymous callers 401.

import assert from "node:assert/strict";

import { clientFor, rejects, scenario, useServer, userIdOf } from "./harness.mjs";

const ctx = useServer();

scenario("read shared with a second user; writes refused; anonymous gets 401", async () => {
  const alice = clientFor(ctx.server, "alice");
  const bob = clientFor(ctx.server, "bob");
  const carol = clientFor(ctx.server, "carol");
  const anonymous = clientFor(ctx.server, null);
  const aliceId = await userIdOf(ctx.server, "alice");
  const bobId = await userIdOf(ctx.server, "bob");
  const carolId = await userIdOf(ctx.server, "carol");
  assert.notEqual(aliceId, bobId, "different Basic credentials are different users");

  await alice.createBucket("shared");
  await alice.bucket("shared").createCollection("notes");
  const aliceNotes = alice.bucket("shared").collection("notes");
  const note = (await aliceNotes.createRecord({ id: "n1", text: "hello" })).data;

  // Before sharing, bob is a stranger.
  await rejects(bob.bucket("shared").collection("notes").listRecords(), 403, 121, "bob lists before sharing");
  await rejects(bob.bucket("shared").collection("notes").getRecord("n1"), 403, 121, "bob reads before sharing");

  // setPermissions: PUT with only {permissions}; data is kept and the
  // owner stays a writer.
  const shared = await aliceNotes.setPermissions({ read: [bobId] });
  assert.deepEqual(shared.permissions.read, [bobId]);
  assert.ok(shared.permissions.write.includes(aliceId), `owner lost write: ${JSON.stringify(shared.permissions)}`);
  assert.equal(shared.data.id, "notes");

  const bobNotes = bob.bucket("shared").collection("notes");
  const listed = await bobNotes.listRecords();
  assert.deepEqual(listed.data.map((r) => r.id), ["n1"]);
  const read = await bobNotes.getRecord("n1");
  assert.equal(read.data.text, "hello");
  assert.deepEqual(read.permissions, {}, "a non-writer sees empty permissions");
  const attrs = await bobNotes.getData();
  assert.equal(attrs.id, "notes");

  await rejects(bobNotes.createRecord({ text: "bob was here" }), 403, 121, "bob creates");
  await rejects(bobNotes.createRecord({ id: "n2", text: "bob was here" }), 403, 121, "bob PUTs a new record");
  await rejects(bobNotes.updateRecord({ ...note, text: "changed" }), 403, 121, "bob updates");
  await rejects(bobNotes.deleteRecord("n1"), 403, 121, "bob deletes");
  await rejects(bobNotes.setPermissions({ read: [bobId, carolId] }), 403, 121, "bob changes the ACL");
  await rejects(bob.bucket("shared").getData(), 403, 121, "bob reads the bucket (not shared)");

  // Strangers and anonymous callers.
  await rejects(carol.bucket("shared").collection("notes").listRecords(), 403, 121, "carol lists");
  await rejects(anonymous.bucket("shared").collection("notes").listRecords(), 401, 104, "anonymous lists");
  await rejects(anonymous.bucket("shared").collection("notes").getRecord("n1"), 401, 104, "anonymous reads");
  await rejects(anonymous.bucket("shared").collection("notes").createRecord({ x: 1 }), 401, 104, "anonymous creates");

  // addPermissions (JSON-Patch) adds carol without dropping bob.
  const added = await aliceNotes.addPermissions({ read: [carolId] });
  assert.deepEqual([...added.permissions.read].sort(), [bobId, carolId].sort());
  assert.equal((await carol.bucket("shared").collection("notes").getRecord("n1")).data.text, "hello");
  assert.equal((await bobNotes.listRecords()).data.length, 1);

  // removePermissions revokes bob only.
  const removed = await aliceNotes.removePermissions({ read: [bobId] });
  assert.deepEqual(removed.permissions.read, [carolId]);
  await rejects(bobNotes.listRecords(), 403, 121, "bob lists after revocation");
  assert.equal((await carol.bucket("shared").collection("notes").listRecords()).data.length, 1);

  const perms = await aliceNotes.getPermissions();
  assert.deepEqual(perms.read, [carolId]);

  // Sharing with everyone makes anonymous reads work.
  await aliceNotes.addPermissions({ read: ["system.Everyone"] });
  assert.equal((await anonymous.bucket("shared").collection("notes").getRecord("n1")).data.text, "hello");
  await rejects(anonymous.bucket("shared").collection("notes").createRecord({ x: 1 }), 401, 104, "anonymous creates in a public collection");
});

scenario("/permissions lists what was shared with the caller", async () => {
  const alice = clientFor(ctx.server, "alice");
  const dave = clientFor(ctx.server, "dave");
  const daveId = await userIdOf(ctx.server, "dave");
  await alice.createBucket("perm-listing");
  await alice.bucket("perm-listing").createCollection("c", { permissions: { read: [daveId] } });

  const entries = await dave.listPermissions();
  const uris = entries.data.map((e) => e.uri);
  assert.ok(uris.includes("/buckets/perm-listing/collections/c"), `dave's /permissions: ${JSON.stringify(uris)}`);
  assert.ok(!uris.includes("/buckets/perm-listing"), "the bucket was not shared with dave");
  const entry = entries.data.find((e) => e.uri === "/buckets/perm-listing/collections/c");
  assert.equal(entry.resource_name, "collection");
  assert.equal(entry.bucket_id, "perm-listing");
  assert.equal(entry.collection_id, "c");
  assert.ok(entry.permissions.includes("read"), `permissions ${JSON.stringify(entry.permissions)}`);
  assert.ok(!entry.permissions.includes("write"));
});
