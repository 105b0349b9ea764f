// Screenshots of the running demo (scripts/develop) for the README, with headless Chromium.
//   npm install --prefix /tmp/shots playwright-core
//   NODE_PATH=/tmp/shots/node_modules node demo/screenshots/take.mjs [docs/screenshots]
// Logs in as the demo user, waits for the dashboards to draw, and writes lowi3-dashboard.png
// and energy-dashboard.png. HA_URL, CHROMIUM and OUT can be set in the environment.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { chromium } = require("playwright-core");

const url = process.env.HA_URL || "http://127.0.0.1:8123";
const out = process.argv[2] || process.env.OUT || "docs/screenshots";
const profile = mkdtempSync(join(tmpdir(), "lowi3-chromium-"));

const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
  viewport: { width: 1280, height: 900 },
  locale: "en-GB",
  timezoneId: "Europe/Brussels",
  colorScheme: "light",
});
try {
  const page = context.pages()[0] || (await context.newPage());
  await page.goto(`${url}/dashboard-lowi3/live`);
  await page.getByLabel("Username").waitFor({ timeout: 30000 });
  await page.getByLabel("Username").fill("demo");
  await page.getByLabel("Password", { exact: true }).fill("demo-password");
  await page.keyboard.press("Enter");
  await page.waitForURL(/dashboard-lowi3/, { timeout: 30000 });
  await page.locator("hui-gauge-card").first().waitFor({ timeout: 30000 });
  await page.waitForTimeout(6000); // charts and gauges animate in
  await page.screenshot({ path: join(out, "lowi3-dashboard.png"), fullPage: true });

  // The Energy dashboard on yesterday, a whole day: today has no export before the sun is up.
  await page.goto(`${url}/energy`);
  const calendar = page.locator("hui-energy-period-selector ha-icon-button#field");
  await calendar.waitFor({ timeout: 30000 });
  await page.waitForTimeout(3000);
  await calendar.click();
  await page.locator("ha-list-item", { hasText: "Yesterday" }).click({ timeout: 10000 });
  await page.waitForTimeout(8000);
  await page.screenshot({ path: join(out, "energy-dashboard.png"), fullPage: true });
} catch (err) {
  const page = context.pages()[0];
  if (page) await page.screenshot({ path: join(out, "failed.png"), fullPage: true });
  throw err;
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
