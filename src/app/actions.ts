// Every command the UI can give, in one registry: buttons, start-up and (later) shortcuts all go
// through `runAction`, and `enabled` says when a command makes sense.
import { EngineClient } from '../worker/client.ts';
import type { EngineBackend, EngineEvent } from '../worker/protocol.ts';
import { probeWebGpu } from './gpu.ts';
import { chooseBackend, useStudio, type StudioState } from './store.ts';

export interface Action {
  readonly label: string;
  enabled(state: StudioState): boolean;
  perform(): Promise<void>;
}

const { getState: get, setState: set } = useStudio;

let client: EngineClient | null = null;
const engine = (): EngineClient => (client ??= new EngineClient(onEngineEvent));

function onEngineEvent(e: EngineEvent): void {
  if (e.kind === 'deviceLost') set({ backend: 'wasm', fallbackReason: `the GPU device was lost: ${e.reason}` });
}

const selfTestRunning = (s: StudioState) => Object.values(s.selfTest).some((e) => e?.status === 'running');

async function selfTestOn(backend: EngineBackend): Promise<void> {
  const put = (entry: StudioState['selfTest'][EngineBackend]) => set((s) => ({ selfTest: { ...s.selfTest, [backend]: entry } }));
  put({ status: 'running' });
  try {
    put({ status: 'ok', report: await engine().selfTest(backend) });
  } catch (e) {
    put({ status: 'failed', error: (e as Error).message });
  }
}

const checkBackend: Action = {
  label: 'Run self-test',
  enabled: (s) => !selfTestRunning(s),
  async perform() {
    // the WASM test always runs: mark it now so the command is disabled while the GPU is probed
    set({ gpu: null, backend: null, fallbackReason: null, selfTest: { wasm: { status: 'running' } } });
    const gpu = await probeWebGpu();
    set({ gpu });
    // WASM first: it is always there, and a WebGPU failure must not hide its result
    const backends: EngineBackend[] = gpu.ok ? ['wasm', 'webgpu'] : ['wasm'];
    for (const b of backends) await selfTestOn(b);
    set(chooseBackend(gpu, get().selfTest.webgpu));
  },
};

export const actions = { checkBackend } satisfies Record<string, Action>;
export type ActionId = keyof typeof actions;

export async function runAction(id: ActionId): Promise<void> {
  const action = actions[id];
  if (action.enabled(get())) await action.perform();
}
