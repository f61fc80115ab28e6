'use strict';
// What the console's browser tests do with a page (puppeteer-core): sign in, open a console address and wait for it,
// click by text, confirm a dialog, take a screenshot.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const screenshots = process.env.XOS_CONSOLE_SCREENSHOTS || path.join(os.tmpdir(), 'xos-console-screenshots');

/** A full-page screenshot to XOS_CONSOLE_SCREENSHOTS (default: a folder in the system's temp folder). */
async function shot(p, name) {
  fs.mkdirSync(screenshots, { recursive: true });
  // Passing notices would hide what the page shows.
  await p.evaluate(() => { for (const t of document.querySelectorAll('.toast')) t.remove(); });
  await p.screenshot({ path: path.join(screenshots, `${name}.png`), fullPage: true });
}

async function signIn(p, origin, accessKey, secretKey) {
  await p.goto(`${origin}/_xos/console/`);
  await p.waitForSelector('input[name=accessKey]');
  await p.type('input[name=accessKey]', accessKey);
  await p.type('input[name=secretKey]', secretKey);
  await p.keyboard.press('Enter');
  await p.waitForSelector('header.top:not([hidden])');
}

/** Opens a console page by its address (the part after '#') and waits until it has loaded. */
async function openPage(p, hash, selector) {
  // After hashchange the console has replaced the old page, so the ready mark waited for is the new page's.
  await p.evaluate((h) => new Promise((resolve) => {
    const before = location.hash;
    window.addEventListener('hashchange', () => resolve(), { once: true });
    location.hash = h;
    if (location.hash === before) resolve();
  }), hash);
  await p.waitForSelector('main > [data-ready]');
  if (selector) await p.waitForSelector(selector);
}

async function clickText(p, selector, text) {
  const handle = await p.waitForFunction((s, t) => Array.from(document.querySelectorAll(s)).find((e) => e.textContent.trim() === t && !e.disabled), {}, selector, text);
  await handle.asElement().click();
}

/** Confirms the dialog on screen by its danger button (typing the name first when it asks for it). */
async function confirmDialog(p, typed) {
  await p.waitForSelector('dialog[open] button.danger');
  if (typed) await p.type('dialog[open] input', typed);
  await p.click('dialog[open] button.danger');
  await p.waitForFunction(() => !document.querySelector('dialog[open]'));
}

/** What is wrong with the page on screen for a narrow screen or a screen reader: its width, and controls without a label. */
function layoutProblems(p) {
  return p.evaluate(() => ({
    width: document.documentElement.scrollWidth,
    unlabelled: Array.from(document.querySelectorAll('input, select, textarea, button'))
      .filter((e) => e.type !== 'hidden' && !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby')
        && !(e.tagName === 'BUTTON' && e.textContent.trim()))
      .map((e) => e.outerHTML.slice(0, 80)),
  }));
}

module.exports = { shot, signIn, openPage, clickText, confirmDialog, layoutProblems, screenshots };
