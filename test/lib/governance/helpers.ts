/** What the Terraform-side audit tests share: hand-written cdktf outputs and a headless Chromium page. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { chromium, Page } from 'playwright-core';

/**
 * Writes a cdktf output directory `<root>/<name>` with one stack, `app`, holding these resources, and
 * this top-level `//` block when one is given.
 */
export function writeCdktfOut(root: string, name: string, resource: Record<string, Record<string, unknown>>, comment?: Record<string, unknown>): string {
  const dir = path.join(root, name);
  fs.mkdirSync(path.join(dir, 'stacks', 'app'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ version: '0.21.0', stacks: { app: { name: 'app', synthesizedStackPath: 'stacks/app/cdk.tf.json' } } }));
  fs.writeFileSync(path.join(dir, 'stacks', 'app', 'cdk.tf.json'), JSON.stringify({ ...(comment ? { '//': comment } : {}), resource }));
  return dir;
}

/**
 * Opens a local HTML file in headless Chromium (the apt package's /usr/bin/chromium), gives the page
 * to `check`, and returns every URL the page requested.
 */
export async function inChromium(file: string, check: (page: Page) => Promise<void>): Promise<string[]> {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = context.pages()[0] ?? await context.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`file://${file}`);
    await check(page);
    return requests;
  } finally {
    await context.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
}
