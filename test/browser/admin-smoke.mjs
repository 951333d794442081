// admin-smoke.mjs drives a real kinto-admin build against bin/kinto (with
// the admin, accounts and history plugins): it signs in through the admin's
// login form, creates a bucket, a collection and a record with the admin's
// own forms, updates the record, looks at the bucket's permissions and the
// collection's history, lets signed-in users read the collection, checks
// with plain HTTP GETs that the server stored it all, and saves a
// screenshot of the collection's records.
//
// It is a script, not part of the browser suite (`node --test` does not
// pick it up): the project ships no kinto-admin build, so it only runs on
// purpose, through scripts/admin-smoke.sh (`make admin-smoke ADMIN_DIR=…`).
//
// Environment: ADMIN_DIR (the unpacked build, required), SCREENSHOT (PNG
// path, default ../../bin/admin-smoke.png), AUTH (`basicauth`, the default,
// or `accounts`: sign in with the account created first), CHROMIUM,
// KINTO_BIN.

import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startServer } from "../e2e/server.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const adminDir = process.env.ADMIN_DIR ? path.resolve(process.env.ADMIN_DIR) : "";
const screenshotPath = path.resolve(process.env.SCREENSHOT || path.join(here, "../../bin/admin-smoke.png"));
const authType = process.env.AUTH || "basicauth";

// The admin's labels of the two login methods this smoke knows.
const authLabels = { basicauth: "Basic Auth", accounts: "Kinto Account Auth" };

// Names of what the smoke creates, and who creates them.
const username = "admin";
const password = "s3cret-smoke-password";
const bucketId = "smoke-bucket";
const collectionId = "smoke-collection";
const recordTitle = "Hello from the admin smoke";

// Each UI step waits at most this long for the page to react.
const stepTimeout = 15000;

// knownAdminError tells the browser errors kinto-admin causes on any
// server, which the smoke ignores: the build's index.html links its icon as
// ../images/favicon.png, outside the admin's folder (a 404 on Kinto too),
// and on the sign-in page its heartbeat indicator asks for the API client
// before there is one ("Client not configured."; the indicator works once
// signed in).
function knownAdminError(text, url, signedIn) {
  if (url.endsWith("/images/favicon.png") && text.includes("404")) return true;
  return !signedIn && text.includes("Client not configured.");
}

function log(message) {
  console.log(`admin-smoke: ${message}`);
}

async function main() {
  if (!adminDir || !existsSync(path.join(adminDir, "index.html"))) {
    throw new Error(`ADMIN_DIR=${adminDir || "(unset)"} holds no index.html: not a kinto-admin build`);
  }
  if (!(authType in authLabels)) {
    throw new Error(`AUTH=${authType}: one of ${Object.keys(authLabels).join(", ")}`);
  }

  const server = await startServer({
    KINTO_INCLUDES: "kinto.plugins.admin kinto.plugins.accounts kinto.plugins.history",
    KINTO_ADMIN_ASSETS_PATH: adminDir,
  });
  const authorization = "Basic " + Buffer.from(`${username}:${password}`).toString("base64");
  const api = async (method, url, body, { anonymous = false } = {}) => {
    const headers = { "Content-Type": "application/json" };
    if (!anonymous) headers.Authorization = authorization;
    const res = await fetch(`${server.remote}${url}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };

  let browser;
  let page;
  const consoleErrors = [];
  try {
    const hello = await api("GET", "/");
    log(`server ${server.origin}, admin capability version ${hello.body.capabilities.admin?.version}`);

    if (authType === "accounts") {
      // Created anonymously: as in Kinto, a user signed in some other way
      // (basicauth) may only create the account of their own user id. The
      // account then signs in with the same Basic header, which the account
      // policy, first in multiauth.policies, recognises.
      const created = await api("PUT", `/accounts/${username}`, { data: { password } }, { anonymous: true });
      assert.equal(created.status, 201, `PUT /accounts/${username}: ${JSON.stringify(created.body)}`);
    }
    const expectedUser = (await api("GET", "/")).body.user?.id;
    assert.ok(expectedUser, "the server does not authenticate the smoke's credentials");
    log(`signing in with ${authLabels[authType]} as ${username} (${expectedUser})`);

    browser = await chromium.launch({ executablePath, args: ["--no-sandbox"], timeout: 30000 });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(stepTimeout);
    // Errors of the browser, less the two that come from kinto-admin itself
    // whatever the server (see knownAdminError).
    let signedIn = false;
    page.on("console", (m) => {
      if (m.type() === "error" && !knownAdminError(m.text(), m.location().url, signedIn)) consoleErrors.push(m.text());
    });
    page.on("pageerror", (e) => {
      if (!knownAdminError(e.message, "", signedIn)) consoleErrors.push(`page error: ${e.message}`);
    });

    // Sign in. In single-server mode the form finds the API from the page's
    // URL, asks the hello view which methods it offers and hides the server.
    const loaded = await page.goto(`${server.remote}/admin/`);
    assert.equal(loaded.status(), 200);
    await page.getByLabel(authLabels[authType], { exact: true }).check();
    await page.locator("#root_credentials_username").fill(username);
    await page.locator("#root_credentials_password").fill(password);
    await page.getByRole("button", { name: `Sign in using ${authLabels[authType]}` }).click();
    await page.getByRole("link", { name: "Create bucket" }).waitFor();
    await page.getByText(expectedUser).first().waitFor();
    signedIn = true;
    log("signed in");

    // The bucket.
    await page.getByRole("link", { name: "Create bucket" }).click();
    await page.locator("#root_id").fill(bucketId);
    await page.getByRole("button", { name: "Create bucket" }).click();
    await page.getByText("Bucket created.").waitFor();
    await page.waitForURL(new RegExp(`#/buckets/${bucketId}/attributes$`));
    log(`bucket ${bucketId} created`);

    // The collection, with the admin's default schema (title and content).
    // The admin reads the user's permissions (GET /permissions) once per
    // page load, so the new bucket's collection:create shows after a reload,
    // as a user would do.
    await page.goto(`${server.remote}/admin/#/buckets/${bucketId}/collections/create`);
    await page.reload();
    await page.locator("#root_id").fill(collectionId);
    await page.getByRole("button", { name: "Create collection" }).click();
    await page.getByText("Collection created.").waitFor();
    log(`collection ${collectionId} created`);

    // The record, through the form the collection's schema describes.
    await page.goto(`${server.remote}/admin/#/buckets/${bucketId}/collections/${collectionId}/records/create`);
    await page.reload();
    await page.locator("#root_title").fill(recordTitle);
    await page.locator("#root_content").fill("Created through kinto-admin by scripts/admin-smoke.sh.");
    await page.getByRole("button", { name: "Create record" }).click();
    await page.getByText("Record created").waitFor();
    await page.waitForURL(new RegExp(`#/buckets/${bucketId}/collections/${collectionId}/records/?$`));
    await page.getByText(recordTitle).first().waitFor();
    log("record created");

    // Its update goes through the admin's safe write (If-Match on the
    // record's timestamp).
    await page.getByRole("row", { name: new RegExp(recordTitle) }).getByTitle("Edit record").click();
    await page.locator("#root_title").fill(`${recordTitle}, updated`);
    await page.getByRole("button", { name: "Update record" }).click();
    await page.getByText("Record updated").waitFor();
    log("record updated");

    // The bucket's permissions, as the admin's Permissions tab reads them:
    // the signed-in user is the bucket's writer.
    await page.goto(`${server.remote}/admin/#/buckets/${bucketId}/permissions`);
    await page.getByRole("heading", { name: /permissions/i }).first().waitFor();
    await page.locator(`input[value="${expectedUser}"], td:has-text("${expectedUser}")`).first().waitFor();
    log("bucket permissions shown");

    // The collection's History tab lists the record's creation and update;
    // the update's details are a diff against the entry before it, which the
    // admin asks for with the history filters uri and _before.
    await page.goto(`${server.remote}/admin/#/buckets/${bucketId}/collections/${collectionId}/history`);
    const updateRow = page.getByRole("row").filter({ hasText: "update" }).filter({ hasText: "record" });
    await updateRow.getByTitle("View entry details").click();
    const details = page.locator(".history-row-details");
    await details.getByText(`"title": "${recordTitle}"`).first().waitFor();
    await details.getByText(`"title": "${recordTitle}, updated"`).first().waitFor();
    await page.getByRole("row").filter({ hasText: "create" }).filter({ hasText: "collection" }).waitFor();
    log("history shows the record's update as a diff");

    // The collection's Permissions tab: reading for every signed-in user. The
    // admin sends a PUT with permissions and no data, which must keep the
    // collection's attributes (its schema) as they are.
    await page.goto(`${server.remote}/admin/#/buckets/${bucketId}/collections/${collectionId}/permissions`);
    await page.locator("#root_authenticated-0").check();
    await page.getByRole("button", { name: "Submit" }).click();
    await page.getByText("Collection permissions updated.").waitFor();
    log("collection permissions updated");

    // The screenshot shows the collection's records list.
    await page.goto(`${server.remote}/admin/#/buckets/${bucketId}/collections/${collectionId}/records`);
    await page.getByRole("cell", { name: `${recordTitle}, updated` }).waitFor();
    // Without the notifications of the steps above, which hide the heading.
    const dismiss = page.locator(".notifications").getByRole("button", { name: "Dismiss" });
    while ((await dismiss.count()) > 0) await dismiss.first().click();

    // The server has them, with the signed-in user as writer.
    const bucket = await api("GET", `/buckets/${bucketId}`);
    assert.equal(bucket.status, 200, `GET bucket: ${JSON.stringify(bucket.body)}`);
    assert.deepEqual(bucket.body.permissions.write, [expectedUser]);
    const collection = await api("GET", `/buckets/${bucketId}/collections/${collectionId}`);
    assert.equal(collection.status, 200, `GET collection: ${JSON.stringify(collection.body)}`);
    assert.equal(collection.body.data.schema?.type, "object", "the collection lost the admin's schema");
    assert.deepEqual(collection.body.permissions.read, ["system.Authenticated"]);
    assert.deepEqual(collection.body.permissions.write, [expectedUser]);
    const records = await api("GET", `/buckets/${bucketId}/collections/${collectionId}/records`);
    assert.equal(records.status, 200, `GET records: ${JSON.stringify(records.body)}`);
    assert.equal(records.body.data.length, 1, `records: ${JSON.stringify(records.body.data)}`);
    assert.equal(records.body.data[0].title, `${recordTitle}, updated`);
    const record = await api("GET", `/buckets/${bucketId}/collections/${collectionId}/records/${records.body.data[0].id}`);
    assert.equal(record.status, 200, `GET record: ${JSON.stringify(record.body)}`);
    log(`server has bucket, collection and record ${record.body.data.id}`);

    mkdirSync(path.dirname(screenshotPath), { recursive: true });
    await page.screenshot({ path: screenshotPath, fullPage: true });
    log(`screenshot ${screenshotPath}`);
    assert.deepEqual(consoleErrors, [], "the browser reported errors");
    log("ok");
  } catch (err) {
    // Leave what is needed to understand a failure: the page as it was and
    // what the browser and the server said.
    if (page) {
      const failedShot = screenshotPath.replace(/\.png$/, "") + "-failed.png";
      mkdirSync(path.dirname(failedShot), { recursive: true });
      await page.screenshot({ path: failedShot, fullPage: true }).catch(() => {});
      console.error(`admin-smoke: page ${page.url()}, screenshot of the failure in ${failedShot}`);
    }
    if (consoleErrors.length) console.error(`admin-smoke: browser errors:\n  ${consoleErrors.join("\n  ")}`);
    console.error(`admin-smoke: server output (last lines):\n${server.logs().split("\n").slice(-40).join("\n")}`);
    throw err;
  } finally {
    if (browser) await browser.close();
    await server.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`admin-smoke: FAILED: ${err.stack || err}`);
    process.exit(1);
  },
);
