// What one student train step asks of the GPU besides its kernels: buffers created, uploads and
// readbacks, counted by wrapping the WebGPU API itself (GPUDevice.createBuffer, GPUQueue.writeBuffer,
// GPUBuffer.mapAsync, and the compute passes' dispatches), so onnxruntime's own calls count as much as
// the studio's. Runs wherever WebGPU's classes are globals: a page (Chromium) or Node with Dawn.
//
// The steady state is what STEP_TRAFFIC_LIMITS holds: in a step after the first few, only the loss
// comes back (one readback, 4 bytes), nothing is created, and the uploads are the batch itself
// (pixels, teacher logits, the learning rate). e2e/step-traffic.spec.ts holds them on SwiftShader,
// `npm run bench -- --only traffic` writes them to bench/results.json.
import { sizeOf } from '../src/engine/graph/graph.ts';
import type { Runtime } from '../src/engine/runtime/runtime.ts';
import { parseGeometry, type GeometryJson } from './geometry.ts';
import { benchStudent } from './workloads.ts';

export interface GpuTraffic {
  buffersCreated: number;
  /** queue writes to storage buffers and buffers mapped for writing (at creation or later): data */
  uploads: number;
  bytesUploaded: number;
  /** queue writes to uniform buffers: a kernel's parameters (shapes, strides), one per dispatch or so */
  uniformWrites: number;
  /** buffers mapped for reading */
  readbacks: number;
  bytesRead: number;
  /** compute dispatches: the kernels */
  dispatches: number;
}

/** what a steady-state step may do: the loss alone comes back, no buffer is made, the batch goes up */
export const STEP_TRAFFIC_LIMITS = { readbacks: 1, bytesRead: 4, buffersCreated: 0, uploads: 3 } as const;

const none = (): GpuTraffic => ({
  buffersCreated: 0,
  uploads: 0,
  bytesUploaded: 0,
  uniformWrites: 0,
  readbacks: 0,
  bytesRead: 0,
  dispatches: 0,
});

type Method = (...args: never[]) => unknown;

/** Counts WebGPU traffic from now until `stop` (which puts the API back); `take` returns the counts so far and starts again. */
export function watchGpuTraffic(): { take(): GpuTraffic; stop(): void } {
  let t = none();
  const restore: (() => void)[] = [];
  const wrap = <P extends object>(proto: P, name: string, count: (self: never, args: never) => void) => {
    const original = (proto as Record<string, Method>)[name]!;
    (proto as Record<string, Method>)[name] = function (this: never, ...args: never[]) {
      count(this, args as never);
      return original.apply(this, args);
    };
    restore.push(() => {
      (proto as Record<string, Method>)[name] = original;
    });
  };
  wrap(GPUDevice.prototype, 'createBuffer', (_self, [desc]: GPUBufferDescriptor[]) => {
    t.buffersCreated++;
    if (desc!.mappedAtCreation) {
      t.uploads++;
      t.bytesUploaded += desc!.size;
    }
  });
  wrap(
    GPUQueue.prototype,
    'writeBuffer',
    (_self, [buffer, , data, dataOffset, size]: [GPUBuffer, number, BufferSource, number?, number?]) => {
      if (buffer.usage & GPUBufferUsage.UNIFORM) {
        t.uniformWrites++;
        return;
      }
      // WebGPU counts dataOffset and size in elements of a typed array, in bytes otherwise
      const unit = ArrayBuffer.isView(data) && 'BYTES_PER_ELEMENT' in data ? (data as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT : 1;
      t.uploads++;
      t.bytesUploaded += size !== undefined ? size * unit : data.byteLength - (dataOffset ?? 0) * unit;
    },
  );
  wrap(GPUBuffer.prototype, 'mapAsync', (self: GPUBuffer, [mode, offset, size]: [number, number?, number?]) => {
    const bytes = size ?? self.size - (offset ?? 0);
    if (mode & GPUMapMode.READ) {
      t.readbacks++;
      t.bytesRead += bytes;
    } else {
      t.uploads++;
      t.bytesUploaded += bytes;
    }
  });
  for (const name of ['dispatchWorkgroups', 'dispatchWorkgroupsIndirect'])
    wrap(GPUComputePassEncoder.prototype, name, () => {
      t.dispatches++;
    });
  return {
    take() {
      const out = t;
      t = none();
      return out;
    },
    stop() {
      for (const r of restore.reverse()) r();
    },
  };
}

export interface StepTraffic {
  geometry: string;
  batch: number;
  /** session creation: frozen weights, teacher text and the initial state go up once here */
  create: GpuTraffic;
  first: GpuTraffic;
  /** a step after `warmup` steps */
  steady: GpuTraffic;
  warmup: number;
  /** the batch's bytes: pixels, teacher logits and the learning rate, as float32 */
  batchBytes: number;
  /** the student's frozen CLIP weights: they go up at creation, never in a step */
  frozenBytes: number;
}

/** Counts the traffic of StudentSession.create, its first step and a steady one, on a WebGPU runtime. */
export async function measureStepTraffic(rt: Runtime, geometry: GeometryJson, batch: number, warmup = 3): Promise<StepTraffic> {
  const geo = parseGeometry(geometry);
  const S = geo.student.vision.imageSize;
  const watch = watchGpuTraffic();
  try {
    const { session, step, frozenBytes } = await benchStudent(rt, geometry, batch);
    try {
      const create = watch.take();
      await step();
      const first = watch.take();
      for (let i = 1; i < warmup; i++) await step();
      watch.take();
      await step();
      const steady = watch.take();
      const batchBytes = 4 * (sizeOf([batch, 3, S, S]) + sizeOf([batch, geo.classes]) + 1);
      return { geometry: geometry.name, batch, create, first, steady, warmup, batchBytes, frozenBytes };
    } finally {
      await session.release();
    }
  } finally {
    watch.stop();
  }
}
