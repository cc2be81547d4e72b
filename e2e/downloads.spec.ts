// Hub downloads against a fault-injecting fake Hub (e2e/fake-hub.ts on a local port: tree API,
// Range, ETag, X-Repo-Commit), as the browser does them: a cut at 50 % resumes with a Range request,
// a reload in the middle resumes on the next load, a flipped byte is caught by its hash, a 429 is
// retried after its Retry-After, a 401 asks for a token, main moving is noticed without mixing
// commits, and a kept file changed behind the studio's back is caught on load. The models are the
// demo's tiny CLIPs served as test/demo-*; WASM, as the workflow is under test.
import fs from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { commitDemoModels, FakeHub, serveFakeHub, type ServedHub } from './fake-hub.ts';
import { loadDemoModelsFromHub, modelChooser, openStudio } from './studio-page.ts';

const TEACHER = 'test/demo-teacher';
const WEIGHTS = 'model.safetensors';

let hub: FakeHub, served: ServedHub, commits: { student: string; teacher: string };

test.beforeEach(async () => {
  hub = new FakeHub();
  commits = await commitDemoModels(hub);
  served = await serveFakeHub(hub);
});
test.afterEach(() => served.close());

const loadFromHub = (page: Page) => loadDemoModelsFromHub(page, served.url);

const loaded = (page: Page) => expect(page.getByTestId('model-teacher')).toContainText(TEACHER, { timeout: 60_000 });
const teacherGets = () =>
  hub.requests.filter((r) => r.method === 'GET' && r.path.startsWith(`/${TEACHER}/resolve/`) && r.path.endsWith(WEIGHTS));
/** the demo teacher's weights, in bytes */
const SIZE = fs.statSync(`models/demo-teacher/${WEIGHTS}`).size;

test('a connection cut at 50 % of the teacher resumes with a Range request from what was kept; the file is not fetched twice, and the model loads', async ({
  page,
}) => {
  const half = Math.floor(SIZE / 2);
  hub.fault({ kind: 'cut', repo: TEACHER, file: WEIGHTS, at: half });
  const errors = await openStudio(page, '/#backend=wasm');
  await loadFromHub(page);
  await loaded(page);
  // the resume asks for the rest of what the page kept: the half sent before the cut, less what was
  // still in flight when the connection dropped (a browser drops that), and never the file again
  const [first, second] = teacherGets();
  expect([first!.status, first!.range, first!.bytes]).toEqual([200, null, half]);
  const start = Number(/^bytes=(\d+)-$/.exec(second!.range ?? '')?.[1]);
  expect(start).toBeGreaterThan(0);
  expect(start).toBeLessThanOrEqual(half);
  expect([second!.status, second!.bytes]).toEqual([206, SIZE - start]);
  expect(teacherGets()).toHaveLength(2);
  // the same file: If-Range with its ETag
  expect(second!.ifRange).toMatch(/^"[0-9a-f]{64}"$/);
  expect(errors).toEqual([]);
});

test('a reload in the middle of a download resumes it on the next load', async ({ page }) => {
  const half = Math.floor(SIZE / 2);
  let release!: () => void;
  hub.fault({ kind: 'hold', repo: TEACHER, file: WEIGHTS, at: half, release: new Promise((r) => (release = r)) });
  const errors = await openStudio(page, '/#backend=wasm');
  await loadFromHub(page);
  // the teacher's file is half there, and its connection held open: the page goes away now
  await expect.poll(() => teacherGets()[0]?.bytes ?? 0, { timeout: 60_000 }).toBe(half);
  // the worker writes what arrived as it comes; a moment for the last piece
  await page.waitForTimeout(1000);
  await page.reload();
  release();
  await expect(page.getByTestId('demo-start')).toBeEnabled({ timeout: 60_000 });
  await expect(page.getByTestId('storage-panel').locator(`[data-repo="${TEACHER}"]`)).toContainText(`${WEIGHTS} not finished`);
  await loadFromHub(page);
  await loaded(page);
  // the next load asked for the rest of what the page before the reload had kept, and no more
  const resumed = teacherGets().at(-1)!;
  expect(resumed.status).toBe(206);
  const start = Number(/^bytes=(\d+)-$/.exec(resumed.range ?? '')?.[1]);
  expect(start).toBeGreaterThan(0);
  expect(start).toBeLessThanOrEqual(half);
  expect(resumed.bytes).toBe(SIZE - start);
  expect(errors).toEqual([]);
});

test('one flipped byte is caught by the hash: the file is fetched again, and the bad copy is never used', async ({ page }) => {
  hub.fault({ kind: 'flip', repo: TEACHER, file: WEIGHTS, at: 4321 });
  const errors = await openStudio(page, '/#backend=wasm');
  await loadFromHub(page);
  await loaded(page);
  // the teacher's file came twice, whole each time: the first copy failed its hash
  expect(teacherGets().map((r) => [r.status, r.range, r.bytes])).toEqual([
    [200, null, SIZE],
    [200, null, SIZE],
  ]);
  // the copy kept is the right one: a reload (offline from the Hub) checks it against its hash and uses it
  await served.close();
  await page.reload();
  await loaded(page);
  await expect(page.locator('[data-testid="notice-model"]')).toHaveCount(0);
  expect(errors).toEqual([]);
});

test('a 429 with Retry-After: 1 is retried and succeeds', async ({ page }) => {
  hub.fault({ kind: 'status', file: WEIGHTS, status: 429, headers: { 'retry-after': '1' } });
  const errors = await openStudio(page, '/#backend=wasm');
  await loadFromHub(page);
  await loaded(page);
  const gets = hub.requests.filter((r) => r.method === 'GET' && r.path.endsWith(WEIGHTS));
  expect(gets.map((r) => r.status)).toEqual([429, 200, 200]);
  expect(errors).toEqual([]);
});

test('a 401 says "gated or private", offers the token field, and with a token succeeds', async ({ page }) => {
  hub.gate(TEACHER, 'hf_e2e_token');
  const errors = await openStudio(page, '/#backend=wasm');
  await loadFromHub(page);
  const notice = page.getByTestId('notice-model');
  await expect(notice).toContainText(`${TEACHER} is gated or private (HTTP 401`);
  const teacher = modelChooser(page, 'teacher');
  await teacher.getByLabel('Access token').fill('hf_e2e_token');
  await page.getByRole('button', { name: 'Load models' }).click();
  await loaded(page);
  // the token went with the teacher's requests only, to the Hub's server
  expect(hub.requests.filter((r) => r.token !== null).every((r) => r.path.includes(TEACHER) && r.token === 'hf_e2e_token')).toBe(true);
  expect(hub.requests.some((r) => r.path.includes(TEACHER) && r.token === 'hf_e2e_token' && r.status === 200)).toBe(true);
  // and it is nowhere in the page's storage
  const stored = await page.evaluate(async () => {
    const dbs = await indexedDB.databases();
    return JSON.stringify({ dbs, local: { ...localStorage }, session: { ...sessionStorage }, url: location.href });
  });
  expect(stored).not.toContain('hf_e2e_token');
  expect(errors).toEqual([]);
});

test('main moving to a new commit is noticed: the Storage panel offers the update, and the commits are kept apart', async ({ page }) => {
  const errors = await openStudio(page, '/#backend=wasm');
  await loadFromHub(page);
  await loaded(page);
  const storage = page.getByTestId('storage-panel');
  const row = (commit: string) => storage.locator(`[data-testid="hub-model"][data-commit="${commit}"]`);
  await expect(row(commits.teacher)).toContainText(`main at ${commits.teacher.slice(0, 7)}`);
  await expect(row(commits.teacher)).toHaveAttribute('data-older', 'false');

  // a new commit on main: the same config, the weights with one value changed
  const weights = new Uint8Array(fs.readFileSync(`models/demo-teacher/${WEIGHTS}`));
  weights[weights.length - 1]! ^= 1;
  const moved = await hub.commit(TEACHER, {
    'config.json': new Blob([new Uint8Array(fs.readFileSync('models/demo-teacher/config.json'))]),
    [WEIGHTS]: new Blob([weights]),
  });
  // a reload loads the commit chosen before, and notices that main has moved on
  await page.reload();
  await loaded(page);
  await expect(row(commits.teacher)).toHaveAttribute('data-older', 'true');
  await expect(row(commits.teacher)).toContainText(`older revision (main is at ${moved.slice(0, 7)} now)`);
  expect(hub.requests.some((r) => r.path.includes(moved))).toBe(false);

  await storage.getByRole('button', { name: `Update model ${TEACHER}@${commits.teacher.slice(0, 7)}` }).click();
  await expect(row(moved)).toContainText('loaded as the teacher', { timeout: 60_000 });
  await expect(row(moved)).toHaveAttribute('data-older', 'false');
  await expect(row(commits.teacher)).not.toContainText('loaded as');
  // every file of the new commit came from the new commit; none of the old one's was fetched again
  const fetched = hub.requests.filter((r) => r.method === 'GET' && r.path.includes(TEACHER)).map((r) => r.path);
  expect(fetched.filter((p) => p.includes(moved))).toEqual([
    `/api/models/${TEACHER}/tree/${moved}`,
    `/${TEACHER}/resolve/${moved}/config.json`,
    `/${TEACHER}/resolve/${moved}/${WEIGHTS}`,
  ]);
  expect(fetched.filter((p) => p.includes(`/resolve/${commits.teacher}/`))).toHaveLength(2);
  expect(errors).toEqual([]);
});

test("a kept file changed on disk behind the studio's back is caught on load and never used", async ({ page }) => {
  const errors = await openStudio(page, '/#backend=wasm');
  await loadFromHub(page);
  await loaded(page);
  // flip one byte of the kept teacher weights, in the origin private file system, from outside the studio
  const key = encodeURIComponent(`${TEACHER}@${commits.teacher}/${WEIGHTS}`);
  await page.evaluate(async (name) => {
    const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('hub-models');
    const handle = await dir.getFileHandle(name);
    const bytes = new Uint8Array(await (await handle.getFile()).arrayBuffer());
    bytes[1000]! ^= 0xff;
    const w = await handle.createWritable();
    await w.write(bytes);
    await w.close();
  }, key);
  const before = teacherGets().length;
  await page.reload();
  await loaded(page);
  await expect(page.getByTestId('notice-model')).toContainText(
    new RegExp(
      `${TEACHER} ${WEIGHTS} as kept in this browser had changed since it was downloaded \\(its SHA-256 is [0-9a-f]{64}, not [0-9a-f]{64}\\): it was not used, and was downloaded again`,
    ),
  );
  expect(teacherGets().length).toBe(before + 1);
  expect(errors).toEqual([]);
});

test('Pause keeps what has arrived and the next load goes on from there; Cancel deletes it', async ({ page }) => {
  const half = Math.floor(SIZE / 2);
  const held = () => {
    let release!: () => void;
    hub.fault({ kind: 'hold', repo: TEACHER, file: WEIGHTS, at: half, release: new Promise((r) => (release = r)) });
    return () => release();
  };
  let release = held();
  const errors = await openStudio(page, '/#backend=wasm');
  await loadFromHub(page);
  await expect.poll(() => teacherGets().at(-1)?.bytes ?? 0, { timeout: 60_000 }).toBe(half);
  await page.getByRole('button', { name: 'Pause download' }).click();
  await expect(page.getByTestId('notice-stopped')).toContainText(
    'The download is paused: what has arrived is kept, and Load models continues from there.',
  );
  release();
  const row = page.getByTestId('storage-panel').locator(`[data-repo="${TEACHER}"]`);
  await expect(row).toContainText(`${WEIGHTS} not finished`);
  await page.getByRole('button', { name: 'Load models' }).click();
  await loaded(page);
  const resumed = teacherGets().at(-1)!;
  expect(resumed.status).toBe(206);
  expect(Number(/^bytes=(\d+)-$/.exec(resumed.range ?? '')?.[1])).toBeGreaterThan(0);

  // a new commit, held half way again, and cancelled: nothing of it stays
  const weights = new Uint8Array(fs.readFileSync(`models/demo-teacher/${WEIGHTS}`));
  weights[0]! ^= 1;
  const moved = await hub.commit(TEACHER, {
    'config.json': new Blob([new Uint8Array(fs.readFileSync('models/demo-teacher/config.json'))]),
    [WEIGHTS]: new Blob([weights]),
  });
  release = held();
  await page.getByRole('button', { name: 'Load models' }).click();
  await expect.poll(() => teacherGets().at(-1)?.bytes ?? 0, { timeout: 60_000 }).toBe(half);
  await page.getByRole('button', { name: 'Cancel download' }).click();
  await expect(
    page.getByTestId('notice-stopped').filter({ hasText: 'The download was cancelled, and what had arrived was deleted.' }),
  ).toBeVisible();
  release();
  await expect(page.getByTestId('storage-panel').locator(`[data-commit="${moved}"]`)).not.toContainText(WEIGHTS);
  const kept = await page.evaluate(
    async (name) => {
      const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('hub-models');
      return dir
        .getFileHandle(name)
        .then(() => true)
        .catch(() => false);
    },
    encodeURIComponent(`${TEACHER}@${moved}/${WEIGHTS}`),
  );
  expect(kept).toBe(false);
  expect(errors).toEqual([]);
});
