// End-to-end test of the live page in headless Chromium (Debian's package, driven by playwright-core):
// open the page served by `chameleon serve` on the demo, start, see frames arrive, click another
// garment, see it pending and then the readout name the chunk where it took effect, type a prompt and see
// it pending and then active at a later chunk, upload a file that
// is not an image and see the message; keep a screenshot as an artifact. Then a second tab streams at
// the same time, and closing it (or stopping the first) frees its session on the server.
// LIVE_URL names the server; ARTIFACT_DIR where the screenshot goes. Run through ./run-browser-test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const url = process.env.LIVE_URL;
const artifacts = process.env.ARTIFACT_DIR || new URL('../target/artifacts', import.meta.url).pathname;
const STEP = 90_000;   // one step: a few demo chunks on a busy two-core CI machine

async function sessions() {
  return (await fetch(new URL('/api/sessions', url))).json();
}

async function waitFor(condition, what) {
  const deadline = Date.now() + STEP;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.fail('timed out waiting for ' + what);
}

test('live page streams and switches garments', { timeout: 240_000 }, async () => {
  assert.ok(url, 'LIVE_URL must name the running server');
  const profile = mkdtempSync(join(tmpdir(), 'chameleon-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1000, height: 800 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = context.pages()[0] || await context.newPage();
    page.setDefaultTimeout(STEP);
    const consoleErrors = [];
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    await page.goto(url);
    await page.locator('#garments .thumb').nth(2).waitFor();
    assert.equal(await page.locator('#references .thumb.selected').getAttribute('data-id'), 'person-demo');
    await page.waitForSelector('#notice:not([hidden])');
    assert.match(await page.textContent('#notice'), /random weights/);

    await page.click('#start');
    // Frames arrive and play; the readout fills in.
    await page.waitForFunction(() => Number(document.getElementById('shown').textContent) >= 5);
    await page.waitForFunction(() => document.getElementById('chunk').textContent !== '–');
    assert.match(await page.textContent('#spc'), /^\d+\.\d\d$/);
    assert.match(await page.textContent('#fps'), /^\d+\.\d$/);
    assert.equal(await page.textContent('#switch'), '–');

    await page.click('#garments .thumb[data-id="garment-blue_striped_shirt"]');
    await page.waitForSelector('#state.pending');
    assert.match(await page.textContent('#state'), /pending/);
    await page.waitForFunction(() => /^chunk \d+$/.test(document.getElementById('switch').textContent));
    const switchChunk = await page.textContent('#switch');
    await page.waitForFunction(() => !document.getElementById('state').classList.contains('pending'));
    assert.match(await page.textContent('#state'), new RegExp('switched at ' + switchChunk));
    assert.equal(await page.locator('#garments .thumb.selected').getAttribute('data-id'), 'garment-blue_striped_shirt');
    // Let the switched frames play before the picture is taken.
    const shown = Number(await page.textContent('#shown'));
    await page.waitForFunction((n) => Number(document.getElementById('shown').textContent) >= n + 6, shown);

    // A typed prompt is encoded by the server (the demo's random umT5) and takes effect at a chunk boundary.
    const prompt = 'a woman in a green dotted dress';
    await page.fill('#prompt', prompt);
    await page.click('#set-prompt');
    await page.waitForSelector('#prompt-state.pending');
    await page.waitForFunction((p) => new RegExp('^prompt: "' + p + '" active at chunk \\d+$')
      .test(document.getElementById('prompt-state').textContent), prompt);
    const promptState = await page.textContent('#prompt-state');
    assert.ok(Number(promptState.match(/chunk (\d+)$/)[1]) > Number(switchChunk.match(/\d+/)[0]), promptState);
    console.log(promptState);

    await page.setInputFiles('#upload-garment', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image') });
    await page.waitForSelector('#message:not([hidden])');
    assert.match(await page.textContent('#message'), /notes\.txt: is not a recognised image/);

    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'live-page.png') });
    console.log('screenshot: ' + join(artifacts, 'live-page.png') + ' (switch took effect at ' + switchChunk + ')');

    // A second tab gets its own session while the first plays; closing that tab frees its session.
    const other = await context.newPage();
    other.setDefaultTimeout(STEP);
    await other.goto(url);
    await other.locator('#garments .thumb').nth(2).waitFor();
    await other.click('#garments .thumb[data-id="garment-green_dotted_dress"]');
    await other.click('#start');
    await other.waitForFunction(() => Number(document.getElementById('shown').textContent) >= 1);
    assert.equal((await sessions()).active, 2);
    await other.close({ runBeforeUnload: true });
    await waitFor(async () => (await sessions()).active === 1, 'the closed tab\'s session to end');
    assert.match(await page.textContent('#state'), /playing/, 'the first tab plays on');

    await page.click('#stop');
    await page.waitForFunction(() => document.getElementById('state').textContent === 'stopped');
    await waitFor(async () => (await sessions()).active === 0, 'the stopped session to end');
    assert.deepEqual(consoleErrors, []);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
});
