import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const FIXTURE = 'test-data/fixtures/clip-tiny-a';
const run = (dir: string) => spawnSync('npx', ['tsx', 'src/cli/check-fixture.ts', dir], { encoding: 'utf8' });

describe('check:fixture CLI', () => {
  it('prints one PASS line per check and exits 0 on a CLIP-only fixture', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'check-fixture-'));
    try {
      for (const f of ['config.json', 'io.safetensors', 'openai.safetensors']) fs.copyFileSync(path.join(FIXTURE, f), path.join(dir, f));
      const out = execFileSync('npx', ['tsx', 'src/cli/check-fixture.ts', dir], { encoding: 'utf8' });
      // no model.safetensors here: only the OpenAI-named checks run
      expect(out.trim().split('\n')).toEqual([
        expect.stringMatching(/^PASS clip\.image_embeds\.openai \d\.\d{3}e[-+]\d+$/),
        expect.stringMatching(/^PASS clip\.text_embeds\.openai /),
        expect.stringMatching(/^PASS clip\.logits_per_image\.openai /),
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });

  it('exits 1 with one clear line on a bad directory or mismatched weights', () => {
    const missing = run('/nonexistent-fixture');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/check:fixture: Error: \/nonexistent-fixture is not a directory/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'check-fixture-'));
    try {
      expect(run(dir).stderr).toMatch(/has no fixture data/);
      for (const f of ['io.safetensors', 'model.safetensors']) fs.copyFileSync(path.join(FIXTURE, f), path.join(dir, f));
      const cfg = JSON.parse(fs.readFileSync(path.join(FIXTURE, 'config.json'), 'utf8'));
      cfg.vision_config.hidden_size = 64;
      fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg));
      const bad = run(dir);
      expect(bad.status).toBe(1);
      expect(bad.stderr).toMatch(/ClipWeightsError: .*has shape \[48\] but this config needs \[64\].*different models/);
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });
});
