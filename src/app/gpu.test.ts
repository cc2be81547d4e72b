import { describe, expect, it } from 'vitest';
import { probeWebGpu, type ProbeHost } from './gpu.ts';

const adapter = (requestDevice: () => Promise<unknown>) => ({
  info: { vendor: 'acme', architecture: 'gen9', device: '', description: 'Acme GPU', isFallbackAdapter: false },
  limits: { maxBufferSize: 2 ** 28, maxStorageBufferBindingSize: 2 ** 27 },
  features: new Set(['shader-f16']),
  requestDevice,
});
const host = (gpu: unknown, isSecureContext = true) => ({ isSecureContext, navigator: { gpu } }) as ProbeHost;

describe('probeWebGpu', () => {
  it('blames the insecure context when navigator.gpu is missing there', async () => {
    const p = await probeWebGpu(host(undefined, false));
    expect(p.ok).toBe(false);
    expect(!p.ok && p.reason).toMatch(/not a secure context/);
  });

  it('blames the browser when navigator.gpu is missing in a secure context', async () => {
    const p = await probeWebGpu(host(undefined));
    expect(!p.ok && p.reason).toMatch(/navigator\.gpu is missing/);
  });

  it('reports a missing adapter', async () => {
    const p = await probeWebGpu(host({ requestAdapter: async () => null }));
    expect(!p.ok && p.reason).toMatch(/no WebGPU adapter/);
  });

  it('reports a device that cannot be created, with the adapter it tried', async () => {
    const failing = adapter(async () => {
      throw new Error('out of memory');
    });
    const p = await probeWebGpu(host({ requestAdapter: async () => failing }));
    expect(p.ok).toBe(false);
    expect(!p.ok && p.reason).toMatch(/would not create a device: out of memory/);
    expect(p.info?.description).toBe('Acme GPU');
  });

  it('describes a working adapter: names, limits, shader-f16', async () => {
    let destroyed = false;
    const working = adapter(async () => ({
      destroy: () => {
        destroyed = true;
      },
    }));
    const p = await probeWebGpu(host({ requestAdapter: async () => working }));
    expect(p).toEqual({
      ok: true,
      info: {
        vendor: 'acme',
        architecture: 'gen9',
        device: '',
        description: 'Acme GPU',
        isFallbackAdapter: false,
        maxBufferSize: 2 ** 28,
        maxStorageBufferBindingSize: 2 ** 27,
        shaderF16: true,
      },
    });
    expect(destroyed).toBe(true); // the probe's device must not linger beside ORT's
  });
});
