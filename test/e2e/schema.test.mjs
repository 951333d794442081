// Collection JSON schema: records are validated on every write, through
// the client and through batch; invalid schemas are refused up front.

import assert from "node:assert/strict";

import { clientFor, rejects, scenario, useServer } from "./harness.mjs";

const ctx = useServer();

const productSchema = {
  type: "object",
  properties: {
    title: { type: "string", minLength: 1 },
    price: { type: "number", minimum: 0 },
  },
  required: ["title", "price"],
};

scenario("records violating the collection schema get 400 errno 107", async () => {
  const alice = clientFor(ctx.server, "alice");
  await alice.createBucket("shop");
  const made = await alice.bucket("shop").createCollection("products", { data: { schema: productSchema } });
  assert.deepEqual(made.data.schema, productSchema);
  const products = alice.bucket("shop").collection("products");

  const missing = await rejects(products.createRecord({ title: "no price" }), 400, 107, "record without a required field");
  assert.equal(missing.details[0].location, "body");
  assert.equal(missing.details[0].name, "price");
  assert.match(missing.message, /price/);

  const wrongType = await rejects(products.createRecord({ title: "cheap", price: "cheap" }), 400, 107, "record with a wrong type");
  assert.equal(wrongType.details[0].name, "price");

  const ok = await products.createRecord({ title: "mug", price: 4.5 });
  assert.equal(ok.data.price, 4.5);
  assert.equal(ok.data.schema, made.data.last_modified, "accepted records carry the schema version");

  // Updates are validated too (a PATCH after merging).
  await rejects(products.updateRecord({ id: ok.data.id, price: -1 }, { patch: true }), 400, 107, "patch to an invalid value");
  await rejects(products.updateRecord({ id: ok.data.id, title: "mug" }), 400, 107, "PUT dropping a required field");

  // Inside a batch, the invalid subrequest gets its own 400.
  const responses = await products.batch((b) => {
    b.createRecord({ title: "plate", price: 9 });
    b.createRecord({ title: "bowl" });
  });
  assert.deepEqual(responses.map((r) => r.status), [201, 400]);
  assert.equal(responses[1].body.errno, 107);

  const listed = await products.listRecords();
  assert.deepEqual(listed.data.map((r) => r.title).sort(), ["mug", "plate"]);
});

scenario("a collection schema that is not a valid JSON schema is refused", async () => {
  const alice = clientFor(ctx.server, "alice");
  await alice.createBucket("bad-schemas");
  await rejects(
    alice.bucket("bad-schemas").createCollection("broken", { data: { schema: { type: "not-a-type" } } }),
    400, 107, "collection with an invalid schema",
  );
  await rejects(
    alice.bucket("bad-schemas").createCollection("broken2", { data: { schema: { properties: 3 } } }),
    400, 107, "collection with properties that are not an object",
  );
});
