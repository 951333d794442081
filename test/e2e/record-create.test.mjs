// record:create only: a contributor may add records to someone else's
// collection, then sees and edits only his own.

import assert from "node:assert/strict";

import { clientFor, rejects, scenario, useServer, userIdOf } from "./harness.mjs";

const ctx = useServer();

scenario("record:create lets users create records and list only their own", async () => {
  const alice = clientFor(ctx.server, "alice");
  const bob = clientFor(ctx.server, "bob");
  const carol = clientFor(ctx.server, "carol");
  const bobId = await userIdOf(ctx.server, "bob");
  const carolId = await userIdOf(ctx.server, "carol");

  await alice.createBucket("inbox");
  await alice.bucket("inbox").createCollection("messages");
  const aliceMsgs = alice.bucket("inbox").collection("messages");
  const granted = await aliceMsgs.addPermissions({ "record:create": [bobId, carolId] });
  assert.deepEqual([...granted.permissions["record:create"]].sort(), [bobId, carolId].sort());
  const aliceOwn = (await aliceMsgs.createRecord({ from: "alice" })).data;

  const bobMsgs = bob.bucket("inbox").collection("messages");
  const carolMsgs = carol.bucket("inbox").collection("messages");
  const b1 = (await bobMsgs.createRecord({ from: "bob", n: 1 })).data;
  const b2res = await bobMsgs.createRecord({ id: "bob-2", from: "bob", n: 2 });
  assert.ok(b2res.permissions.write.includes(bobId), `creator is the record's writer: ${JSON.stringify(b2res.permissions)}`);
  const c1 = (await carolMsgs.createRecord({ from: "carol" })).data;

  const bobList = await bobMsgs.listRecords();
  assert.deepEqual(bobList.data.map((r) => r.id).sort(), [b1.id, "bob-2"].sort(), "bob lists only his records");
  assert.equal(await bobMsgs.getTotalRecords(), 2, "bob's Total-Records counts only his records");
  const bobFiltered = await bobMsgs.listRecords({ filters: { from: "carol" } });
  assert.deepEqual(bobFiltered.data, [], "filters cannot reveal others' records");

  const carolList = await carolMsgs.listRecords();
  assert.deepEqual(carolList.data.map((r) => r.id), [c1.id]);

  const aliceList = await aliceMsgs.listRecords();
  assert.equal(aliceList.data.length, 4, "the owner sees every record");
  assert.equal(await aliceMsgs.getTotalRecords(), 4);

  // The collection's attributes are readable through record:create.
  const attrs = await bobMsgs.getData();
  assert.equal(attrs.id, "messages");

  // Bob edits and deletes his own, not the others'.
  const edited = await bobMsgs.updateRecord({ ...b1, n: 10 });
  assert.equal(edited.data.n, 10);
  await rejects(bobMsgs.getRecord(aliceOwn.id), 403, 121, "bob reads alice's record");
  await rejects(bobMsgs.updateRecord({ ...c1, from: "bob" }), 403, 121, "bob updates carol's record");
  await rejects(bobMsgs.deleteRecord(c1.id), 403, 121, "bob deletes carol's record");
  const gone = await bobMsgs.deleteRecord("bob-2");
  assert.equal(gone.data.deleted, true);
  assert.deepEqual((await bobMsgs.listRecords()).data.map((r) => r.id), [b1.id]);

  // No read on the bucket, no collection creation.
  await rejects(bob.bucket("inbox").getData(), 403, 121, "bob reads the bucket");
  await rejects(bob.bucket("inbox").createCollection("mine"), 403, 121, "bob creates a collection");
});
