// onnxruntime-node (CPU): the CLI's and the unit tests' backend.
import * as ort from 'onnxruntime-node';
import { createRuntime, hostUpload, type OrtModule, type Runtime } from './runtime.ts';

export function createNodeRuntime(): Runtime {
  const mod = ort as unknown as OrtModule;
  return createRuntime({
    backend: 'cpu',
    ort: mod,
    sessionOptions: { executionProviders: ['cpu'], logSeverityLevel: 3 },
    upload: hostUpload(mod),
  });
}
