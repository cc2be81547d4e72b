// A restricted reader and a small writer for the pickles inside PyTorch checkpoints (`data.pkl`).
//
// Python's pickle is a little stack machine whose GLOBAL/REDUCE opcodes import and call any
// function named in the file — which is how a malicious checkpoint runs code. This interpreter
// calls nothing: a global is looked up in the allowlist below and becomes an inert name; "calling"
// it builds a plain record (a dict, a tensor description, an object with its state). A name outside
// the allowlist stops the read at once with that name in the message. The allowlist is what a state
// dict needs plus what Dassl (the trainer PromptSRC and PromptKD use) puts beside it: its scheduler
// state holds the successor scheduler as an object, which holds the optimizer, which holds the
// model's parameters.
//
// Opcodes: those of protocols 2 (torch.save's default) to 4 that can build such data; text-mode
// opcodes of protocols 0/1 and the extension registry are refused.

export class PickleError extends Error {
  override name = 'PickleError';
}

export type TorchDType = 'float32' | 'float16' | 'bfloat16' | 'float64' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

export const ITEM_BYTES: Record<TorchDType, number> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  float64: 8,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

/** torch's legacy storage class names, which torch.save still writes (1.x and 2.x) */
const STORAGES: Record<string, TorchDType> = {
  FloatStorage: 'float32',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  DoubleStorage: 'float64',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};

type Role =
  | { kind: 'dict' } // builds a dict (OrderedDict, defaultdict, Counter)
  | { kind: 'tensor' } // torch._utils._rebuild_tensor_v2
  | { kind: 'parameter' } // nn.Parameter around a tensor: the tensor
  | { kind: 'storage'; dtype: TorchDType } // a storage type inside a persistent id
  | { kind: 'class' } // instantiated as an inert record
  | { kind: 'type' }; // only ever a value (defaultdict's default factory)

const ALLOWED = new Map<string, Role>([
  ['collections.OrderedDict', { kind: 'dict' }],
  // torch.optim.Optimizer.state is a defaultdict(dict); MultiStepLR keeps its milestones in a Counter
  ['collections.defaultdict', { kind: 'dict' }],
  ['collections.Counter', { kind: 'dict' }],
  // protocol 2 spells Python 3's `builtins` as Python 2's `__builtin__`
  ['builtins.dict', { kind: 'type' }],
  ['__builtin__.dict', { kind: 'type' }],
  ['torch._utils._rebuild_tensor_v2', { kind: 'tensor' }],
  ['torch._utils._rebuild_parameter', { kind: 'parameter' }],
  ['torch._utils._rebuild_parameter_with_state', { kind: 'parameter' }],
  ['torch.device', { kind: 'class' }],
  // the optimizers and schedulers Dassl's build_optimizer / build_lr_scheduler create: a warmup
  // scheduler's state dict holds its successor scheduler (with its optimizer) as an object
  ...['sgd.SGD', 'adam.Adam', 'adamw.AdamW', 'rmsprop.RMSprop'].map((n) => [`torch.optim.${n}`, { kind: 'class' }] as const),
  ['dassl.optim.radam.RAdam', { kind: 'class' }],
  ...['CosineAnnealingLR', 'StepLR', 'MultiStepLR'].map((n) => [`torch.optim.lr_scheduler.${n}`, { kind: 'class' }] as const),
  ...Object.entries(STORAGES).map(([n, dtype]) => [`torch.${n}`, { kind: 'storage', dtype }] as const),
]);

/** A name from the allowlist: never resolved to anything that runs. */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
    readonly role: Role,
  ) {}
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** dict, OrderedDict, defaultdict or Counter; keys as the pickle gave them (strings, numbers, objects) */
export class PyDict {
  readonly map = new Map<PyValue, PyValue>();
  /** instance state set by BUILD (a state dict's `_metadata`) */
  attributes: PyValue = null;
  constructor(readonly type: string) {}
}

/** An instance of an allowed class: its class, constructor arguments and pickled state. */
export class PyObject {
  state: PyValue = null;
  constructor(
    readonly cls: PyGlobal,
    readonly args: readonly PyValue[],
  ) {}
}

export class TorchStorage {
  constructor(
    readonly key: string,
    readonly dtype: TorchDType,
    readonly numel: number,
    readonly location: string,
  ) {}
}

/** A tensor as torch describes it: a view (offset, shape, strides, in elements) of a storage. */
export class TorchTensor {
  constructor(
    readonly storage: TorchStorage,
    readonly storageOffset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
  ) {}
  get dtype(): TorchDType {
    return this.storage.dtype;
  }
}

/** Lists are arrays; tuples are frozen arrays (so APPEND can tell them apart). */
export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | readonly PyValue[]
  | PyDict
  | PyObject
  | PyGlobal
  | TorchStorage
  | TorchTensor;

const REFUSED = 'refusing the file (nothing in it was run)';

const isInt = (v: PyValue): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const isTuple = (v: PyValue): v is readonly PyValue[] => Array.isArray(v) && Object.isFrozen(v);
const isList = (v: PyValue): v is PyValue[] => Array.isArray(v) && !Object.isFrozen(v);
const tuple = (items: PyValue[]): readonly PyValue[] => Object.freeze(items);

/** The largest integer a checkpoint holds is a byte count; 16 bytes is far beyond any. */
const MAX_LONG_BYTES = 16;

function decodeLong(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  if (b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/**
 * Unpickles `data` without running anything. Persistent ids must be torch storages
 * ('storage', <storage type>, key, location, numel); one storage key always gives one TorchStorage.
 */
export function unpickle(data: Uint8Array): PyValue {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const text = new TextDecoder('utf-8', { fatal: true });
  let p = 0;
  let stack: PyValue[] = [];
  const marks: PyValue[][] = [];
  const memo = new Map<number, PyValue>();
  const storages = new Map<string, TorchStorage>();
  let op = 0,
    at = 0;

  const fail: (why: string) => never = (why) => {
    throw new PickleError(`pickle opcode ${opName(op)} at byte ${at}: ${why}`);
  };
  const need = (n: number) => {
    if (n > data.length - p) fail(`needs ${n} more bytes but the pickle ends at byte ${data.length}: the file is truncated`);
  };
  const bytes = (n: number) => {
    need(n);
    const b = data.subarray(p, p + n);
    p += n;
    return b;
  };
  const str = (n: number) => {
    try {
      return text.decode(bytes(n));
    } catch (e) {
      if (e instanceof PickleError) throw e;
      return fail('a string is not valid UTF-8');
    }
  };
  const u8 = () => {
    need(1);
    return data[p++]!;
  };
  const u16 = () => {
    need(2);
    const v = dv.getUint16(p, true);
    p += 2;
    return v;
  };
  const u32 = () => {
    need(4);
    const v = dv.getUint32(p, true);
    p += 4;
    return v;
  };
  const u64 = () => {
    need(8);
    const v = dv.getBigUint64(p, true);
    p += 8;
    return v > BigInt(data.length) ? fail(`a length of ${v} bytes exceeds the ${data.length}-byte pickle`) : Number(v);
  };
  const pop = (): PyValue => (stack.length > 0 ? stack.pop()! : fail('the stack is empty'));
  const top = (): PyValue => (stack.length > 0 ? stack[stack.length - 1]! : fail('the stack is empty'));
  const popMark = (): PyValue[] => {
    const items = stack;
    stack = marks.pop() ?? fail('no MARK to pop to');
    return items;
  };
  const line = () => {
    const end = data.indexOf(0x0a, p);
    if (end < 0) fail('a GLOBAL name has no end of line');
    return str(end - p + 1).slice(0, -1);
  };
  const global = (module: string, name: string): PyGlobal => {
    const role = ALLOWED.get(`${module}.${name}`);
    if (!role && module === 'torch' && name.endsWith('Storage')) {
      throw new PickleError(
        `the checkpoint holds tensors of storage type torch.${name}, which this reader does not take ` +
          `(it takes ${Object.values(STORAGES).join(', ')}); convert them in PyTorch and save again`,
      );
    }
    if (!role) throw new PickleError(`the pickle names the Python global '${module}.${name}', which a checkpoint never needs; ${REFUSED}`);
    return new PyGlobal(module, name, role);
  };
  const setItems = (target: PyValue, items: PyValue[]) => {
    if (!(target instanceof PyDict)) fail(`sets items on a ${kindOf(target)}, not a dict`);
    for (let i = 0; i + 1 < items.length; i += 2) (target as PyDict).map.set(items[i]!, items[i + 1]!);
  };
  const persistent = (pid: PyValue): TorchStorage => {
    if (!isTuple(pid) || pid.length !== 5 || pid[0] !== 'storage')
      fail("a persistent id that is not a torch storage ('storage', type, key, location, numel)");
    const [, type, key, location, numel] = pid as readonly PyValue[];
    if (!(type instanceof PyGlobal) || type.role.kind !== 'storage')
      fail(`storage type ${type instanceof PyGlobal ? type.qualifiedName : kindOf(type!)} is not a supported torch storage`);
    if (typeof key !== 'string' || typeof location !== 'string' || !isInt(numel!) || numel < 0)
      fail('a storage id with a bad key, location or element count');
    const dtype = ((type as PyGlobal).role as { dtype: TorchDType }).dtype;
    const known = storages.get(key as string);
    if (known) {
      if (known.dtype !== dtype || known.numel !== numel) fail(`storage '${key}' is declared twice with different types or sizes`);
      return known;
    }
    const s = new TorchStorage(key as string, dtype, numel as number, location as string);
    storages.set(s.key, s);
    return s;
  };
  const call = (f: PyValue, args: PyValue): PyValue => {
    if (!(f instanceof PyGlobal)) return fail(`calls a ${kindOf(f)}, not an allowed global`);
    if (!isTuple(args)) return fail(`calls ${f.qualifiedName} with a ${kindOf(args)} instead of an argument tuple`);
    switch (f.role.kind) {
      case 'dict': {
        const d = new PyDict(f.qualifiedName);
        // OrderedDict() / OrderedDict([(k, v), …]); defaultdict(factory); Counter({k: n})
        const init = f.name === 'defaultdict' ? undefined : args[0];
        if (init instanceof PyDict) for (const [k, v] of init.map) d.map.set(k, v);
        else if (Array.isArray(init)) {
          for (const kv of init as readonly PyValue[]) {
            if (!isTuple(kv) || kv.length !== 2) fail(`${f.qualifiedName} needs (key, value) pairs`);
            d.map.set((kv as readonly PyValue[])[0]!, (kv as readonly PyValue[])[1]!);
          }
        } else if (init !== undefined && init !== null) fail(`${f.qualifiedName} cannot start from a ${kindOf(init)}`);
        return d;
      }
      case 'tensor':
        return rebuildTensor(args, fail);
      case 'parameter':
        return args[0] instanceof TorchTensor ? args[0] : fail(`${f.qualifiedName} wraps a ${kindOf(args[0] ?? null)}, not a tensor`);
      case 'class':
        return new PyObject(f, args);
      default:
        return fail(`${f.qualifiedName} cannot be called`);
    }
  };

  for (;;) {
    at = p;
    op = u8();
    switch (op) {
      case 0x80: {
        const v = u8();
        if (v < 2 || v > 4) fail(`pickle protocol ${v}: this reader takes protocols 2 (torch.save's default) to 4`);
        break;
      } // PROTO
      case 0x95:
        u64();
        break; // FRAME: a length hint
      case 0x2e:
        return stack.length === 1 ? stack[0]! : fail(`the pickle ends with ${stack.length} values on the stack instead of 1`); // STOP
      case 0x28:
        marks.push(stack);
        stack = [];
        break; // MARK
      case 0x4e:
        stack.push(null);
        break; // NONE
      case 0x88:
        stack.push(true);
        break; // NEWTRUE
      case 0x89:
        stack.push(false);
        break; // NEWFALSE
      case 0x4a: {
        need(4);
        stack.push(dv.getInt32(p, true));
        p += 4;
        break;
      } // BININT
      case 0x4b:
        stack.push(u8());
        break; // BININT1
      case 0x4d:
        stack.push(u16());
        break; // BININT2
      case 0x8a:
      case 0x8b: {
        // LONG1, LONG4
        const n = op === 0x8a ? u8() : u32();
        if (n > MAX_LONG_BYTES) fail(`an integer of ${n} bytes is not a value a checkpoint holds`);
        stack.push(decodeLong(bytes(n)));
        break;
      }
      case 0x47: {
        need(8);
        stack.push(dv.getFloat64(p, false));
        p += 8;
        break;
      } // BINFLOAT (big-endian)
      case 0x58:
        stack.push(str(u32()));
        break; // BINUNICODE
      case 0x8c:
        stack.push(str(u8()));
        break; // SHORT_BINUNICODE
      case 0x8d:
        stack.push(str(u64()));
        break; // BINUNICODE8
      case 0x7d:
        stack.push(new PyDict('dict'));
        break; // EMPTY_DICT
      case 0x5d:
        stack.push([]);
        break; // EMPTY_LIST
      case 0x29:
        stack.push(tuple([]));
        break; // EMPTY_TUPLE
      // popMark() swaps `stack`, so its result is taken before `stack.push` is looked up
      case 0x74: {
        const t = tuple(popMark());
        stack.push(t);
        break;
      } // TUPLE
      case 0x85:
        stack.push(tuple([pop()]));
        break; // TUPLE1
      case 0x86: {
        const b = pop(),
          a = pop();
        stack.push(tuple([a, b]));
        break;
      } // TUPLE2
      case 0x87: {
        const c = pop(),
          b = pop(),
          a = pop();
        stack.push(tuple([a, b, c]));
        break;
      } // TUPLE3
      case 0x6c: {
        const l = popMark();
        stack.push(l);
        break;
      } // LIST
      case 0x64: {
        const d = new PyDict('dict');
        setItems(d, popMark());
        stack.push(d);
        break;
      } // DICT
      case 0x61: {
        const v = pop(),
          l = top();
        if (!isList(l)) fail(`appends to a ${kindOf(l)}, not a list`);
        (l as PyValue[]).push(v);
        break;
      } // APPEND
      case 0x65: {
        // APPENDS (a loop: spreading a long batch into push() would overflow the call stack)
        const items = popMark(),
          l = top();
        if (!isList(l)) fail(`extends a ${kindOf(l)}, not a list`);
        for (const v of items) (l as PyValue[]).push(v);
        break;
      }
      case 0x73: {
        const v = pop(),
          k = pop();
        setItems(top(), [k, v]);
        break;
      } // SETITEM
      case 0x75: {
        const items = popMark();
        setItems(top(), items);
        break;
      } // SETITEMS
      case 0x71:
        memo.set(u8(), top());
        break; // BINPUT
      case 0x72:
        memo.set(u32(), top());
        break; // LONG_BINPUT
      case 0x94:
        memo.set(memo.size, top());
        break; // MEMOIZE
      case 0x68:
      case 0x6a: {
        // BINGET, LONG_BINGET
        const i = op === 0x68 ? u8() : u32();
        if (!memo.has(i)) fail(`memo slot ${i} was never filled`);
        stack.push(memo.get(i)!);
        break;
      }
      case 0x63: {
        const module = line();
        stack.push(global(module, line()));
        break;
      } // GLOBAL
      case 0x93: {
        // STACK_GLOBAL
        const name = pop(),
          module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('a global whose module or name is not a string');
        stack.push(global(module as string, name as string));
        break;
      }
      case 0x52: {
        const args = pop(),
          f = pop();
        stack.push(call(f, args));
        break;
      } // REDUCE
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args)
        const args = pop(),
          cls = pop();
        if (!(cls instanceof PyGlobal) || cls.role.kind !== 'class')
          fail(`instantiates ${cls instanceof PyGlobal ? cls.qualifiedName : kindOf(cls)}, which is not an allowed class`);
        stack.push(call(cls, args));
        break;
      }
      case 0x62: {
        // BUILD: obj.__setstate__(state) — recorded, never run
        const state = pop(),
          obj = top();
        if (obj instanceof PyObject) obj.state = state;
        else if (obj instanceof PyDict) obj.attributes = state;
        else fail(`sets the state of a ${kindOf(obj)}`);
        break;
      }
      case 0x51:
        stack.push(persistent(pop()));
        break; // BINPERSID
      default:
        fail(`this opcode is not one torch.save uses for a checkpoint; ${REFUSED}`);
    }
  }
}

function rebuildTensor(args: readonly PyValue[], fail: (why: string) => never): TorchTensor {
  // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
  const [storage, offset, size, stride] = args;
  if (args.length < 6 || args.length > 7 || !(storage instanceof TorchStorage))
    fail('_rebuild_tensor_v2 without a storage and its 6 or 7 arguments');
  const dims = (v: PyValue | undefined, what: string): number[] => {
    if (!isTuple(v ?? null) || !(v as readonly PyValue[]).every((d) => isInt(d) && d >= 0))
      fail(`a tensor ${what} that is not a tuple of non-negative integers`);
    return [...(v as number[])];
  };
  const shape = dims(size, 'size'),
    strides = dims(stride, 'stride');
  if (shape.length !== strides.length) fail(`a tensor of size [${shape}] with ${strides.length} strides`);
  if (!isInt(offset ?? null) || (offset as number) < 0) fail('a tensor with a bad storage offset');
  return new TorchTensor(storage as TorchStorage, offset as number, shape, strides);
}

function kindOf(v: PyValue): string {
  if (v === null) return 'None';
  if (Array.isArray(v)) return Object.isFrozen(v) ? 'tuple' : 'list';
  if (v instanceof PyGlobal) return `global ${v.qualifiedName}`;
  if (v instanceof PyDict) return v.type;
  if (v instanceof PyObject) return `${v.cls.qualifiedName} object`;
  if (v instanceof TorchTensor) return 'tensor';
  if (v instanceof TorchStorage) return 'storage';
  return typeof v;
}

function opName(op: number): string {
  const c = op >= 0x20 && op < 0x7f ? ` '${String.fromCharCode(op)}'` : '';
  return `0x${op.toString(16).padStart(2, '0')}${c}`;
}

// ---- writing ------------------------------------------------------------------------------------

/** `module.name(*args)`, written as GLOBAL + argument tuple + REDUCE */
export class PickleCall {
  constructor(
    readonly module: string,
    readonly name: string,
    readonly args: readonly PickleOut[],
  ) {}
}
/** a bare global (the storage type inside a persistent id) */
export class PickleGlobalOut {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
}
/** a persistent id: how torch refers to the storages kept beside the pickle */
export class PicklePersistent {
  constructor(readonly id: readonly PickleOut[]) {}
}
/** a dict with string keys; `ordered` makes it a collections.OrderedDict */
export class PickleDictOut {
  constructor(
    readonly entries: readonly (readonly [string, PickleOut])[],
    readonly ordered = false,
  ) {}
}
/** Arrays are written as tuples. Numbers must be integers (see writeInt). */
export type PickleOut =
  | null
  | boolean
  | number
  | string
  | readonly PickleOut[]
  | PickleCall
  | PickleGlobalOut
  | PicklePersistent
  | PickleDictOut;

/**
 * Protocol 2 with only the opcodes that torch 1.13's `torch.load(weights_only=True)` accepts: no
 * memo is needed (a repeated global is written again), and no floats, since that unpickler has no
 * BINFLOAT.
 */
export function pickle(value: PickleOut): Uint8Array<ArrayBuffer> {
  const out: number[] = [0x80, 2];
  const enc = new TextEncoder();
  const u32 = (n: number) => out.push(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
  const ascii = (s: string) => {
    for (const b of enc.encode(s)) out.push(b);
  };
  const writeInt = (n: number) => {
    if (!Number.isSafeInteger(n))
      throw new PickleError(`cannot pickle ${n}: only integers are written (torch 1.13's weights_only loader reads no floats)`);
    if (n >= 0 && n < 0x100)
      out.push(0x4b, n); // BININT1
    else if (n >= 0 && n < 0x10000)
      out.push(0x4d, n & 0xff, n >> 8); // BININT2
    else if (n >= -0x80000000 && n < 0x80000000) {
      out.push(0x4a);
      u32(n);
    } // BININT
    else {
      // LONG1, two's complement little-endian
      const bytes: number[] = [];
      let v = BigInt(n);
      for (;;) {
        const b = Number(v & 0xffn);
        bytes.push(b);
        v >>= 8n; // arithmetic: a negative number shifts towards -1
        if ((v === 0n && !(b & 0x80)) || (v === -1n && b & 0x80)) break;
      }
      out.push(0x8a, bytes.length, ...bytes);
    }
  };
  const write = (v: PickleOut): void => {
    if (v === null) out.push(0x4e);
    else if (v === true) out.push(0x88);
    else if (v === false) out.push(0x89);
    else if (typeof v === 'number') writeInt(v);
    else if (typeof v === 'string') {
      const b = enc.encode(v);
      out.push(0x58);
      u32(b.length);
      for (const x of b) out.push(x);
    } else if (Array.isArray(v)) {
      const items = v as readonly PickleOut[];
      if (items.length === 0) out.push(0x29);
      else if (items.length <= 3) {
        items.forEach(write);
        out.push(0x84 + items.length);
      } // TUPLE1..3
      else {
        out.push(0x28);
        items.forEach(write);
        out.push(0x74);
      }
    } else if (v instanceof PickleGlobalOut) {
      out.push(0x63);
      ascii(`${v.module}\n${v.name}\n`);
    } else if (v instanceof PickleCall) {
      write(new PickleGlobalOut(v.module, v.name));
      write(v.args);
      out.push(0x52);
    } else if (v instanceof PicklePersistent) {
      write(v.id);
      out.push(0x51);
    } else if (v instanceof PickleDictOut) {
      if (v.ordered) write(new PickleCall('collections', 'OrderedDict', []));
      else out.push(0x7d);
      if (v.entries.length > 0) {
        out.push(0x28);
        for (const [k, x] of v.entries) {
          write(k);
          write(x);
        }
        out.push(0x75);
      }
    }
  };
  write(value);
  out.push(0x2e);
  return Uint8Array.from(out);
}
