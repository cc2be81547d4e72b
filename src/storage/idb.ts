// IndexedDB as promises, for storage.ts: open a database with its object stores, and run one
// transaction over several stores. A transaction's body may await only the requests it issues
// (`req`): IndexedDB commits a transaction once no request is pending at the end of a task, so an
// await of anything else (a fetch, a timer) would let it commit half done and fail the next request.

/** a request's result as a promise */
export function req<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

/**
 * Opens `name` at `version`, creating the object stores it lacks. `onUpgrade` runs inside the
 * version-change transaction (after the stores exist) for changes the stores alone do not make.
 */
export function openDatabase(name: string, version: number, stores: readonly string[]): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(name, version);
    open.onupgradeneeded = () => {
      for (const s of stores) if (!open.result.objectStoreNames.contains(s)) open.result.createObjectStore(s);
    };
    open.onsuccess = () => {
      const db = open.result;
      // another tab upgrading or deleting the database: let it, this connection is done
      db.onversionchange = () => db.close();
      resolve(db);
    };
    open.onerror = () => reject(open.error);
    open.onblocked = () =>
      reject(
        new DOMException(
          `the database ${name} is held open by an older version of the studio in another tab; close that tab`,
          'InvalidStateError',
        ),
      );
  });
}

/**
 * Opens `name` only if it exists (null otherwise), without creating it: a database that does not
 * exist is created by `open` with version 1 and no stores, so the creating transaction is aborted.
 */
export function openExisting(name: string): Promise<IDBDatabase | null> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(name);
    let created = false;
    open.onupgradeneeded = (e) => {
      if (e.oldVersion === 0) {
        created = true;
        open.transaction!.abort();
      }
    };
    open.onsuccess = () => resolve(open.result);
    open.onerror = (e) => {
      if (created) {
        e.preventDefault();
        resolve(null);
      } else reject(open.error);
    };
  });
}

export function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const del = indexedDB.deleteDatabase(name);
    del.onsuccess = () => resolve();
    del.onerror = () => reject(del.error);
  });
}

/**
 * Runs `body` in one transaction over `stores` and resolves with its result once the transaction has
 * committed; if anything in it fails, the transaction aborts, none of its writes stay, and the
 * promise rejects with the first error.
 */
export function transact<T>(
  db: IDBDatabase,
  stores: readonly string[],
  mode: IDBTransactionMode,
  body: (tx: IDBTransaction) => Promise<T>,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(stores, mode, mode === 'readwrite' ? { durability: 'strict' } : undefined);
    let result: T;
    let failure: unknown = null;
    tx.oncomplete = () => resolve(result);
    tx.onerror = (e) => {
      failure ??= tx.error ?? (e.target as IDBRequest).error;
    };
    tx.onabort = () => reject(failure ?? tx.error ?? new DOMException('the transaction was aborted', 'AbortError'));
    body(tx).then(
      (r) => {
        result = r;
      },
      (e: unknown) => {
        failure ??= e;
        try {
          tx.abort();
        } catch {
          /* already finished: onabort or onerror has the reason */
        }
      },
    );
  });
}

/** every [key, value] of `store` whose key is in `range` (all when undefined) */
export async function entriesOf<K extends IDBValidKey, V>(store: IDBObjectStore, range?: IDBKeyRange): Promise<[K, V][]> {
  const [ks, vs] = await Promise.all([req(store.getAllKeys(range)), req(store.getAll(range))]);
  return ks.map((k, i) => [k as K, vs[i] as V]);
}

/** the keys of strings that start with `prefix` */
export const prefixRange = (prefix: string): IDBKeyRange => IDBKeyRange.bound(prefix, `${prefix}\uffff`);
