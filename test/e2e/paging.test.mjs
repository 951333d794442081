// Paging: 250 records created through chunked batches, then listed with
// the client's pagination (it follows Next-Page until it is absent).
// The server paginates by 100 when the client gives no _limit.

import assert from "node:assert/strict";

import { clientFor, countRequests, exchanges, scenario, useServer } from "./harness.mjs";

const ctx = useServer({ KINTO_PAGINATE_BY: "100" });

const TOTAL = 250;
const LIST_PATH = /^\/v1\/buckets\/pages\/collections\/items\/records$/;

function assertEachOnce(records, what) {
  const ids = records.map((r) => r.id);
  const unique = new Set(ids);
  assert.equal(ids.length, TOTAL, `${what}: ${ids.length} records, want ${TOTAL}`);
  assert.equal(unique.size, TOTAL, `${what}: ${TOTAL - unique.size} duplicates`);
  for (let n = 0; n < TOTAL; n++) {
    assert.ok(unique.has(`item-${String(n).padStart(3, "0")}`), `${what}: item-${n} missing`);
  }
}

scenario("250 records listed with pages: Infinity, each exactly once", async () => {
  const alice = clientFor(ctx.server, "alice");
  await alice.createBucket("pages");
  await alice.bucket("pages").createCollection("items");
  const items = alice.bucket("pages").collection("items");

  // The client splits the batch by the server's batch_max_requests.
  const { batch_max_requests: maxPerBatch } = await alice.fetchServerSettings();
  let mark = exchanges.length;
  const responses = await items.batch((b) => {
    for (let n = 0; n < TOTAL; n++) {
      b.createRecord({ id: `item-${String(n).padStart(3, "0")}`, n, parity: n % 2 ? "odd" : "even" });
    }
  });
  assert.equal(responses.length, TOTAL);
  assert.ok(responses.every((r) => r.status === 201), `statuses: ${[...new Set(responses.map((r) => r.status))]}`);
  if (maxPerBatch) {
    assert.equal(countRequests(mark, "POST", /^\/v1\/batch$/), Math.ceil(TOTAL / maxPerBatch), "batch chunks");
  }

  assert.equal(await items.getTotalRecords(), TOTAL, "Total-Records");

  // Server-side page size (paginate_by = 100): 3 pages.
  mark = exchanges.length;
  const all = await items.listRecords({ pages: Infinity });
  assertEachOnce(all.data, "default page size");
  assert.equal(countRequests(mark, "GET", LIST_PATH), 3, "GETs for 250 records by 100");
  assert.equal(all.hasNextPage, false);
  for (let i = 1; i < all.data.length; i++) {
    assert.ok(all.data[i - 1].last_modified > all.data[i].last_modified, `not sorted by -last_modified at ${i}`);
  }
  const newest = Math.max(...all.data.map((r) => r.last_modified));
  assert.equal(all.last_modified, String(newest), "result last_modified is the collection ETag");

  // Client-side page size and a custom sort: 7 pages, ascending n.
  mark = exchanges.length;
  const byN = await items.listRecords({ limit: 40, sort: "n", pages: Infinity });
  assertEachOnce(byN.data, "limit 40, sort n");
  assert.deepEqual(byN.data.map((r) => r.n), [...Array(TOTAL).keys()], "ascending n across pages");
  assert.equal(countRequests(mark, "GET", LIST_PATH), 7, "GETs for 250 records by 40");

  // Descending on a field with ties, broken by the server consistently.
  const byParity = await items.listRecords({ limit: 33, sort: "-parity", pages: Infinity });
  assertEachOnce(byParity.data, "limit 33, sort -parity");
  assert.equal(byParity.data[0].parity, "odd");

  // A filter with paging.
  const odd = await items.listRecords({ limit: 30, filters: { parity: "odd" }, pages: Infinity });
  assert.equal(odd.data.length, TOTAL / 2);
  assert.equal(new Set(odd.data.map((r) => r.id)).size, TOTAL / 2);
  assert.ok(odd.data.every((r) => r.parity === "odd"));

  // Two pages only, then next().
  const firstTwo = await items.listRecords({ limit: 100, pages: 2 });
  assert.equal(firstTwo.data.length, 200);
  assert.equal(firstTwo.hasNextPage, true);
  const rest = await firstTwo.next();
  assert.equal(rest.data.length, 250, "next() aggregates onto the previous pages");
  assert.equal(rest.hasNextPage, false);
});
