// Test support: a tab that dies in the middle of a write. Over fake-indexeddb, the first put that
// `when` accepts is made, then its transaction is aborted (what IndexedDB does to a transaction whose
// page goes away before it commits), and every later transaction on that connection fails, as the
// page's code would never run again: no cleanup, no retry. A storage opened afterwards (a new
// connection) is the reopened page; `revive` puts IDBObjectStore.put back.

type Put = (this: IDBObjectStore, value: unknown, key?: IDBValidKey) => IDBRequest;

export function dieDuringPut(when: (store: string, value: unknown, key: IDBValidKey | undefined) => boolean): {
  revive: () => void;
  died: () => boolean;
} {
  const storeProto = IDBObjectStore.prototype as unknown as { put: Put };
  const dbProto = IDBDatabase.prototype as unknown as { transaction: (...a: unknown[]) => IDBTransaction };
  const put = storeProto.put,
    transaction = dbProto.transaction;
  const dead = new Set<IDBDatabase>();
  let died = false;
  storeProto.put = function (value, key) {
    const r = put.call(this, value, key);
    if (!died && when(this.name, value, key)) {
      died = true;
      this.transaction.abort();
      dead.add(this.transaction.db);
    }
    return r;
  };
  dbProto.transaction = function (this: IDBDatabase, ...a: unknown[]) {
    if (dead.has(this)) throw new DOMException('the page is gone (test)', 'InvalidStateError');
    return transaction.apply(this, a);
  };
  return {
    revive: () => {
      storeProto.put = put;
      dbProto.transaction = transaction;
    },
    died: () => died,
  };
}
