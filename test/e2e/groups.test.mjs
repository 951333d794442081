// Groups: write granted to a group principal follows the group's members,
// from the very next request, in both directions.

import assert from "node:assert/strict";

import { clientFor, rejects, scenario, useServer, userIdOf } from "./harness.mjs";

const ctx = useServer();

scenario("write through group membership; removing the member revokes it", async () => {
  const alice = clientFor(ctx.server, "alice");
  const bob = clientFor(ctx.server, "bob");
  const carol = clientFor(ctx.server, "carol");
  const bobId = await userIdOf(ctx.server, "bob");
  const group = "/buckets/team/groups/editors";

  await alice.createBucket("team");
  const team = alice.bucket("team");
  const made = await team.createGroup("editors", [bobId]);
  assert.deepEqual(made.data.members, [bobId]);
  await team.createCollection("tasks");
  const granted = await team.collection("tasks").addPermissions({ write: [group] });
  assert.ok(granted.permissions.write.includes(group), `collection write ${JSON.stringify(granted.permissions)}`);
  const task = (await team.collection("tasks").createRecord({ id: "t1", title: "plan" })).data;
  await team.collection("tasks").createRecord({ id: "t2", title: "alice only" });

  // Bob's principals now include the group (fresh client: no cached hello).
  const bobInfo = await clientFor(ctx.server, "bob").fetchUser();
  assert.ok(bobInfo.principals.includes(group), `bob's principals ${JSON.stringify(bobInfo.principals)}`);

  const bobTasks = bob.bucket("team").collection("tasks");
  const created = await bobTasks.createRecord({ title: "by bob" });
  assert.equal(created.data.title, "by bob");
  const edited = await bobTasks.updateRecord({ ...task, title: "plan (bob)" });
  assert.equal(edited.data.title, "plan (bob)");
  assert.equal((await bobTasks.listRecords()).data.length, 3, "collection write implies read");

  // Carol is not a member.
  await rejects(carol.bucket("team").collection("tasks").createRecord({ title: "carol" }), 403, 121, "non-member writes");

  // Group write on the collection says nothing about the bucket.
  await rejects(bob.bucket("team").createCollection("other"), 403, 121, "member creates a collection in the bucket");

  // Removing bob from the group takes effect on his next request.
  const emptied = await team.updateGroup({ id: "editors", members: [] });
  assert.deepEqual(emptied.data.members, []);
  await rejects(bobTasks.createRecord({ title: "too late" }), 403, 121, "former member writes");
  // He keeps what he holds directly: the creator/last writer of a record
  // gets its write (explicit permissions), so his list shows exactly those.
  const leftover = await bobTasks.listRecords();
  assert.deepEqual(leftover.data.map((r) => r.id).sort(), [created.data.id, "t1"].sort(),
    "former member lists only the records he wrote");
  await rejects(bobTasks.getRecord("t2"), 403, 121, "former member reads a record he never wrote");
  const bobAfter = await clientFor(ctx.server, "bob").fetchUser();
  assert.ok(!bobAfter.principals.includes(group), `former member still holds ${group}`);

  // Adding him back grants again; deleting the group revokes again.
  await team.updateGroup({ id: "editors", members: [bobId] });
  assert.equal((await bobTasks.createRecord({ title: "back" })).data.title, "back");
  await team.deleteGroup("editors");
  await rejects(bobTasks.createRecord({ title: "group gone" }), 403, 121, "member of a deleted group writes");
});

scenario("group members are validated", async () => {
  const alice = clientFor(ctx.server, "alice");
  await alice.createBucket("strict");
  await rejects(alice.bucket("strict").createGroup("nested", ["/buckets/strict/groups/other"]), 400, 107, "group as a member");
  await rejects(alice.bucket("strict").createGroup("everyone", ["system.Everyone"]), 400, 107, "system.Everyone as a member");
  await rejects(alice.bucket("strict").createGroup("numbers", [42]), 400, 107, "a member that is not a string");
});
