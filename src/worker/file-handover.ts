// A folder's files handed to the engine worker in several messages. postMessage clones every File
// on the main thread before it returns (~0.5 ms a File in Chromium: 2,000 in one message was one
// 1,075 ms task), so a 10,000-image folder in one message froze the page for seconds. In messages of
// FILES_PER_MESSAGE, with the page's event loop running between them, no task is long; the request
// that imports them carries the last chunk and names the rest by their upload (protocol stageFiles).

/** files per message: ~50 ms of cloning at most, the long-task threshold */
export const FILES_PER_MESSAGE = 100;

/** a task boundary: input, rendering and other events run before the next chunk is cloned */
const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * Sends `files` but the last chunk through `stage` (one call per chunk, waiting for its answer and
 * for a task boundary), then `finish(lastChunk, staged)`; `staged` is false when one chunk held them
 * all. `onHanded(sent, total)` runs before the first chunk and after each.
 */
export async function handOver<F, R>(
  files: readonly F[],
  stage: (chunk: F[]) => Promise<unknown>,
  finish: (last: F[], staged: boolean) => Promise<R>,
  onHanded: (sent: number, total: number) => void = () => undefined,
  perMessage = FILES_PER_MESSAGE,
): Promise<R> {
  let sent = 0;
  onHanded(sent, files.length);
  while (files.length - sent > perMessage) {
    const chunk = files.slice(sent, sent + perMessage);
    await Promise.all([stage(chunk), nextTask()]);
    sent += chunk.length;
    onHanded(sent, files.length);
  }
  return finish(files.slice(sent), sent > 0);
}
