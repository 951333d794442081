// Accounts plugin: anyone may create an account (account_create_principals
// = system.Everyone); Basic credentials then authenticate as account:<id>.

import assert from "node:assert/strict";

import { basicAuth, clientFor, exchanges, rejects, scenario, useServer } from "./harness.mjs";

// The production bcrypt cost (the suite's other files use the minimum).
const ctx = useServer({ KINTO_ACCOUNT_BCRYPT_COST: "12" });

scenario("create an account anonymously, then authenticate with it", async () => {
  const anonymous = clientFor(ctx.server, null);
  const capabilities = await anonymous.fetchServerCapabilities();
  assert.ok(capabilities.accounts, `capabilities ${Object.keys(capabilities)} lack accounts`);

  const created = await anonymous.createAccount("alice", "s3cret!");
  assert.equal(created.data.id, "alice");
  assert.match(created.data.password, /^\$2[aby]\$\d\d\$/, "the password is returned as a bcrypt hash");
  // The account's write goes to account:alice, which Kinto credits with
  // an anonymous creation: the response shows it.
  assert.deepEqual(created.permissions, { write: ["account:alice"] }, "an anonymous creation is the account's own write");

  const user = await clientFor(ctx.server, "alice", "s3cret!").fetchUser();
  assert.equal(user.id, "account:alice");
  assert.ok(user.principals.includes("account:alice"));
  assert.ok(user.principals.includes("system.Authenticated"));
  const own = await clientFor(ctx.server, "alice", "s3cret!").execute({
    path: "/accounts/alice",
    headers: basicAuth("alice", "s3cret!"),
  });
  assert.equal(own.data.id, "alice");
  assert.deepEqual(own.permissions.write, ["account:alice"], "the account owns itself");

  // A wrong password is not alice: with "account basicauth" it falls
  // through to basicauth and becomes some other user.
  const other = await clientFor(ctx.server, "alice", "wrong").fetchUser();
  assert.notEqual(other && other.id, "account:alice");

  // The account works for real operations.
  const alice = clientFor(ctx.server, "alice", "s3cret!");
  const bucket = await alice.createBucket("alices");
  assert.deepEqual(bucket.permissions.write, ["account:alice"]);

  // The id is taken now.
  await rejects(anonymous.createAccount("alice", "again"), 401, 104, "anonymous re-creation of an existing account");
});

scenario("Basic users without an account are not slowed down by the account policy", async () => {
  // With "account basicauth", every basicauth user goes through the account
  // policy first. Kinto looks the account up and, when there is none,
  // declines at once (bcrypt runs only against a stored hash), so a batch
  // of 25 subrequests by a basicauth user costs milliseconds, not 25
  // bcrypt checks at the production cost.
  const walter = clientFor(ctx.server, "walter");
  await walter.fetchServerSettings(); // hello cached, so the batch is one request
  const mark = exchanges.length;
  const started = Date.now();
  const responses = await walter.batch((b) => {
    for (let i = 0; i < 25; i++) b.bucket("default").collection("c").getRecord(`r${i}`);
  });
  const elapsed = Date.now() - started;
  assert.equal(exchanges.length - mark, 1);
  assert.equal(responses.length, 25);
  assert.ok(elapsed < 2000, `a 25-subrequest batch by a basicauth user took ${elapsed} ms (want well under 2 s)`);
});
