// Test support: a disk that fills up. Over fake-indexeddb, IndexedDB puts past `bytes` in total throw
// QuotaExceededError as a browser's would, so the storage's own error path runs, unchanged.
// Returns the function that lifts the limit.

/** bytes a stored value takes, roughly: its binary payloads plus its JSON text */
function sizeOf(value: unknown): number {
  if (value instanceof Uint8Array || value instanceof Float32Array) return value.byteLength;
  if (value instanceof Blob) return value.size;
  if (value && typeof value === 'object') {
    let n = 0;
    for (const v of Object.values(value)) n += typeof v === 'object' && v !== null ? sizeOf(v) : String(v).length;
    return n;
  }
  return String(value).length;
}

export function limitIndexedDbWrites(bytes: number): () => void {
  const proto = (globalThis as unknown as { IDBObjectStore: { prototype: { put: (...a: unknown[]) => unknown } } }).IDBObjectStore
    .prototype;
  const put = proto.put;
  let written = 0;
  proto.put = function (this: unknown, value: unknown, ...rest: unknown[]) {
    const size = sizeOf(value);
    // a refused write takes no room
    if (written + size > bytes) throw new DOMException(`the test's disk is full (${bytes} bytes)`, 'QuotaExceededError');
    written += size;
    return put.call(this, value, ...rest);
  };
  return () => {
    proto.put = put;
  };
}
