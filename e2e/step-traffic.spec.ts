// No round trips: one demo-student train step on WebGPU (SwiftShader here), after a few warm-up
// steps, reads back only its loss, creates no GPU buffer and uploads only its batch, on both of
// onnxruntime-web's WebGPU backends. Counted by wrapping the WebGPU API in the page (bench/step-traffic.ts);
// the limits are STEP_TRAFFIC_LIMITS, which `npm run bench -- --only traffic` writes beside the counts.
import { expect, test } from '@playwright/test';
import { DEMO_SETTINGS } from '../src/engine/promptkd/run-settings.ts';
import { STEP_TRAFFIC_LIMITS, type StepTraffic } from '../bench/step-traffic.ts';

for (const entry of ['native', 'jsep'] as const) {
  test(`a steady demo-student step on the ${entry} WebGPU backend reads back the loss alone and makes no buffer`, async ({ page }) => {
    test.setTimeout(240_000);
    await page.goto('/harness.html');
    await expect(page.locator('body')).toHaveAttribute('data-ready', 'true');
    const r: StepTraffic = await page.evaluate(([e, b]) => window.harness.stepTraffic(e, b), [entry, DEMO_SETTINGS.batchSize] as const);
    console.log(`${entry} ${JSON.stringify(r)}`);
    const s = r.steady;
    expect(s.readbacks).toBeLessThanOrEqual(STEP_TRAFFIC_LIMITS.readbacks);
    expect(s.bytesRead).toBeLessThanOrEqual(STEP_TRAFFIC_LIMITS.bytesRead);
    expect(s.buffersCreated).toBeLessThanOrEqual(STEP_TRAFFIC_LIMITS.buffersCreated);
    expect(s.uploads).toBeLessThanOrEqual(STEP_TRAFFIC_LIMITS.uploads);
    // the uploads are the batch, not the weights (those went up once, when the session was made)
    expect(s.bytesUploaded).toBe(r.batchBytes);
    expect(r.create.bytesUploaded).toBeGreaterThanOrEqual(r.frozenBytes);
    expect(s.dispatches).toBeGreaterThan(50); // the step ran its kernels
  });
}
