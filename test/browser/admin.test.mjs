// The admin plugin seen from a browser: headless Chromium loads /v1/admin
// from a server whose admin folder holds a small page of this suite (not
// kinto-admin, which the project does not ship). The page's script runs
// under the admin's Content-Security-Policy, reads the server's hello view
// through a relative URL as kinto-admin does, and writes what it found.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { startServer } from "../e2e/server.mjs";

const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";

function adminFolder() {
  const dir = mkdtempSync(path.join(tmpdir(), "admin-"));
  mkdirSync(path.join(dir, "static"));
  writeFileSync(path.join(dir, "VERSION"), "0.0.0-browser-test\n");
  writeFileSync(
    path.join(dir, "index.html"),
    `<!DOCTYPE html><html><head><meta charset="utf-8"><title>test admin</title>
<link rel="stylesheet" href="static/style.css"></head>
<body><p id="status">loading</p><script src="static/app.js"></script></body></html>`,
  );
  writeFileSync(path.join(dir, "static", "style.css"), "#status { color: rgb(1, 2, 3); }");
  writeFileSync(
    path.join(dir, "static", "app.js"),
    `fetch("../").then((r) => r.json()).then((hello) => {
  const caps = Object.keys(hello.capabilities).sort().join(",");
  document.getElementById("status").textContent = hello.project_name + " " + caps;
}).catch((e) => { document.getElementById("status").textContent = "error " + e; });`,
  );
  return dir;
}

test("the admin plugin serves its folder to a browser", async (t) => {
  const dir = adminFolder();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const server = await startServer({ KINTO_INCLUDES: "kinto.plugins.admin", KINTO_ADMIN_ASSETS_PATH: dir });
  t.after(() => server.stop());
  const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"], timeout: 30000 });
  t.after(() => browser.close());
  const page = await browser.newPage();
  const blocked = [];
  // Console errors (a refused script or style, a failed fetch), except the
  // browser's own favicon request, which the folder does not serve.
  page.on("console", (m) => {
    if (m.type() === "error" && !m.location().url.endsWith("/favicon.ico")) blocked.push(m.text());
  });

  const responses = new Map();
  page.on("response", (r) => responses.set(new URL(r.url()).pathname, r));
  const first = await page.goto(`${server.remote}/admin`, { timeout: 15000 });
  // /v1/admin redirects to /v1/admin/, whose index the browser shows.
  assert.equal(new URL(page.url()).pathname, "/v1/admin/");
  assert.equal(first.status(), 200);
  const redirect = first.request().redirectedFrom();
  assert.ok(redirect, "no redirect from /v1/admin");
  assert.equal((await redirect.response()).status(), 307);
  assert.match(first.headers()["content-security-policy"], /script-src 'self'/);
  assert.match(first.headers()["content-type"], /^text\/html/);

  // The script ran under that policy and reached the API.
  await page.waitForFunction(() => document.getElementById("status").textContent !== "loading", null, { timeout: 10000 });
  assert.equal(await page.textContent("#status"), "kinto accounts,admin,basicauth,permissions_endpoint,schema");
  assert.equal(await page.$eval("#status", (e) => getComputedStyle(e).color), "rgb(1, 2, 3)");
  assert.deepEqual(blocked, []);

  const js = responses.get("/v1/admin/static/app.js");
  assert.equal(js.status(), 200);
  assert.match(js.headers()["content-type"], /javascript/);
  assert.equal(js.headers()["cache-control"], "max-age=3600");
  assert.match(responses.get("/v1/admin/static/style.css").headers()["content-type"], /^text\/css/);

  // A missing file is the API's JSON 404, not a page.
  const missing = await page.goto(`${server.remote}/admin/static/missing.js`);
  assert.equal(missing.status(), 404);
  assert.equal((await missing.json()).errno, 111);
});

test("without a build, /v1/admin/ says how to install one", async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "admin-empty-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const server = await startServer({ KINTO_INCLUDES: "kinto.plugins.admin", KINTO_ADMIN_ASSETS_PATH: dir });
  t.after(() => server.stop());
  const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"], timeout: 30000 });
  t.after(() => browser.close());
  const page = await browser.newPage();
  const res = await page.goto(`${server.remote}/admin/`, { timeout: 15000 });
  assert.equal(res.status(), 200);
  assert.equal(await page.textContent("h1"), "Kinto Admin is not installed");
  assert.match(await page.textContent("body"), /make admin ARCHIVE=/);
});
