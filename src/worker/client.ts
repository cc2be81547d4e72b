// The main thread's handle on the engine worker: requests become promises, events go to one callback.
import type { ImportSettings } from '../engine/data/import-settings.ts';
import { handOver } from './file-handover.ts';
import type {
  DatasetRole,
  EngineApi,
  EngineErrorInfo,
  EngineEvent,
  EngineMessage,
  EngineRequest,
  ErrorKind,
  ImportReport,
  RequestKind,
} from './protocol.ts';

/** A failed request: `kind` says whose fault (quota, device, input, model, internal). */
export class EngineError extends Error {
  override name = 'EngineError';
  constructor(
    readonly kind: ErrorKind,
    message: string,
    /** the Hub repo an access token may open (EngineErrorInfo.tokenFor) */
    readonly tokenFor?: string,
  ) {
    super(message);
  }
}

type Pending = { resolve: (r: unknown) => void; reject: (e: Error) => void };

export class EngineClient {
  private readonly worker = new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module' });
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private nextUpload = 1;

  constructor(private readonly onEvent: (e: EngineEvent) => void) {
    this.worker.onmessage = (e: MessageEvent<EngineMessage>) => {
      const m = e.data;
      if (!('id' in m)) return onEvent(m);
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.ok) p?.resolve(m.result);
      else p?.reject(toError(m.error));
    };
    // a worker that fails to load or crashes answers nothing: fail every open request instead of hanging
    this.worker.onerror = (e) => {
      e.preventDefault();
      const err = new EngineError('internal', `engine worker failed: ${e.message || 'could not load the worker script'}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
  }

  /** Ends the worker; requests still open fail with `why`. */
  terminate(why: string): void {
    this.worker.terminate();
    const err = new EngineError('device', why);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  /** A request by kind: its body and result types are EngineApi's (protocol.ts). */
  call<K extends RequestKind>(kind: K, request: EngineApi[K]['request']): Promise<EngineApi[K]['result']> {
    const id = this.nextId++;
    const message = { ...request, id, kind } as EngineRequest;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (r: unknown) => void, reject });
      this.worker.postMessage(message);
    });
  }

  /**
   * `completes`: an interrupted import that this folder, chosen again, completes. The files go over
   * in chunks (file-handover.ts), shown as the import's progress from the start.
   */
  importFiles(
    role: DatasetRole,
    name: string,
    files: { file: File; path: string }[],
    completes?: string,
    images?: ImportSettings['images'],
  ): Promise<ImportReport> {
    const upload = this.nextUpload++;
    return handOver(
      files,
      (chunk) => this.call('stageFiles', { upload, files: chunk }),
      (last, staged) =>
        this.call('importFiles', {
          role,
          name,
          files: last,
          ...(staged ? { staged: upload } : {}),
          ...(completes ? { completes } : {}),
          ...(images ? { images } : {}),
        }),
      (sent, total) => {
        if (sent < total)
          this.onEvent({
            kind: 'progress',
            task: 'import',
            done: 0,
            total,
            label: `handing the files to the engine: ${sent.toLocaleString('en')} of ${total.toLocaleString('en')}`,
          });
      },
    );
  }
}

const toError = (e: EngineErrorInfo): EngineError => new EngineError(e.kind, e.message, e.tokenFor);
