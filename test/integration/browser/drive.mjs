// SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE.
// drive.mjs: what test_browser.py does in a real browser. Debian's Chromium
// (headless, no sandbox) driven by playwright-core; no browser download.
//
//   node drive.mjs probe <chromium>          launch and close (can it run here?)
//   node drive.mjs run <chromium> <plan.json>
//
// The plan: {"base": URL, "shots": dir, "scenarios": [{"name", "locale",
// "steps": [{"goto": path} | {"click": link text}]}]}. Every step records
// where the page ended: {scenario, step, status, url, lang, h1, text,
// cookies}; a screenshot per step goes to shots/<scenario>-<n>.png. The
// results are printed as one JSON array; the Python test asserts on them.
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const [mode, executablePath, planFile] = process.argv.slice(2);
const launch = () => chromium.launch({
  executablePath,
  headless: true,
  chromiumSandbox: false,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  timeout: 60000,
});

async function step(page, s, base) {
  let resp;
  if (s.goto) {
    resp = await page.goto(new URL(s.goto, base).href, { waitUntil: 'load', timeout: 30000 });
  } else if (s.click) {
    [resp] = await Promise.all([
      page.waitForNavigation({ waitUntil: 'load', timeout: 30000 }),
      page.getByRole('link', { name: s.click }).click(),
    ]);
  }
  // an auto-submitting page (the OP's logout form) navigates again
  await page.waitForLoadState('networkidle', { timeout: 15000 }).catch(() => {});
  return resp;
}

async function scenario(browser, plan, sc, out) {
  const context = await browser.newContext({
    locale: sc.locale,
    viewport: { width: 390, height: 844 }, // a phone
    isMobile: true,
  });
  const page = await context.newPage();
  for (const [i, s] of sc.steps.entries()) {
    const resp = await step(page, s, plan.base);
    const shot = path.join(plan.shots, `${sc.name}-${i + 1}.png`);
    await page.screenshot({ path: shot, fullPage: true });
    out.push({
      scenario: sc.name,
      step: i + 1,
      status: resp ? resp.status() : null,
      url: page.url(),
      lang: await page.evaluate(() => document.documentElement.lang),
      h1: await page.locator('h1').first().innerText().catch(() => null),
      text: await page.locator('body').innerText(),
      cookies: (await context.cookies()).map((c) => c.name),
      screenshot: shot,
    });
  }
  await context.close();
}

const browser = await launch();
try {
  if (mode === 'run') {
    const plan = JSON.parse(readFileSync(planFile, 'utf8'));
    const out = [];
    for (const sc of plan.scenarios) await scenario(browser, plan, sc, out);
    process.stdout.write(JSON.stringify(out));
  } else {
    const page = await browser.newPage();
    await page.setContent('<p>ok</p>');
    process.stdout.write(JSON.stringify({ version: browser.version() }));
  }
} finally {
  await browser.close();
}
