// Graph → ONNX ModelProto bytes, through the onnx-proto (protobufjs) message classes.
//
// Two things happen on the way, both so that every node has a WebGPU kernel in onnxruntime-web:
// outputs are named by renaming the value that computes them (no Identity node), and ops the
// WebGPU EP lacks are lowered to ops it has (LogSoftmax). The Graph keeps the plain op, so autodiff
// and the reference evaluator see one LogSoftmax with one rule.
import onnxProto from 'onnx-proto';
import { type Graph, MS_DOMAIN, ONNX_DTYPE, type Attr, type OpNode, type TypedArray, type Value } from './graph.ts';

const { onnx } = onnxProto;
export const OPSET = 17;
/** onnxruntime's contrib ops are all version 1 */
const MS_OPSET = 1;
const IR_VERSION = 8;

type Named = (v: Value) => string;

function valueInfo(name: string, v: Value) {
  return onnx.ValueInfoProto.create({
    name,
    type: { tensorType: { elemType: ONNX_DTYPE[v.dtype], shape: { dim: v.shape.map((d) => ({ dimValue: d })) } } },
  });
}

function attribute(name: string, a: Attr) {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.kind) {
    case 'int':
      return onnx.AttributeProto.create({ name, type: T.INT, i: a.value });
    case 'float':
      return onnx.AttributeProto.create({ name, type: T.FLOAT, f: a.value });
    case 'ints':
      return onnx.AttributeProto.create({ name, type: T.INTS, ints: [...a.value] });
    case 'string':
      return onnx.AttributeProto.create({ name, type: T.STRING, s: new TextEncoder().encode(a.value) });
  }
}

function tensor(v: Value, data: TypedArray) {
  return onnx.TensorProto.create({
    name: v.name,
    dataType: ONNX_DTYPE[v.dtype],
    dims: [...v.shape],
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice(),
  });
}

interface ProtoNode {
  op: string;
  domain?: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, Attr>;
}

/** log_softmax(x) = (x − max x) − log Σ exp(x − max x) along the node's axis */
function lowerLogSoftmax(n: OpNode, name: Named): ProtoNode[] {
  const axis = n.attrs.axis!;
  const x = name(n.inputs[0]!),
    y = name(n.outputs[0]!),
    t = `${y}__lsm`;
  return [
    {
      op: 'ReduceMax',
      inputs: [x],
      outputs: [`${t}_max`],
      attrs: { axes: { kind: 'ints', value: [axis.value as number] }, keepdims: { kind: 'int', value: 1 } },
    },
    { op: 'Sub', inputs: [x, `${t}_max`], outputs: [`${t}_shifted`], attrs: {} },
    { op: 'Exp', inputs: [`${t}_shifted`], outputs: [`${t}_exp`], attrs: {} },
    { op: 'ReduceSum', inputs: [`${t}_exp`, `${t}_axes`], outputs: [`${t}_sum`], attrs: { keepdims: { kind: 'int', value: 1 } } },
    { op: 'Log', inputs: [`${t}_sum`], outputs: [`${t}_lse`], attrs: {} },
    { op: 'Sub', inputs: [`${t}_shifted`, `${t}_lse`], outputs: [y], attrs: {} },
  ];
}

/** The nodes needed for the graph's outputs, in build (= topological) order. */
export function liveNodes(g: Graph) {
  const live = new Set(g.outputs.map((o) => o.value.id));
  const keep: boolean[] = new Array(g.nodes.length).fill(false);
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i]!;
    if (n.outputs.some((o) => live.has(o.id))) {
      keep[i] = true;
      for (const x of n.inputs) live.add(x.id);
    }
  }
  return { nodes: g.nodes.filter((_, i) => keep[i]), live };
}

/** Encode as an ONNX model. Unused nodes and constants are dropped; every declared input stays. */
export function toOnnx(g: Graph): Uint8Array {
  if (g.outputs.length === 0) throw new Error(`graph '${g.name}' has no outputs`);
  const { nodes, live } = liveNodes(g);

  // a node-computed value takes its (first) output name; inputs, constants and second names need a copy
  const rename = new Map<number, string>();
  const copies: ProtoNode[] = [];
  for (const o of g.outputs) {
    if (o.value.producer && !rename.has(o.value.id)) rename.set(o.value.id, o.name);
    else if (o.name !== (rename.get(o.value.id) ?? o.value.name)) {
      copies.push({ op: 'Identity', inputs: [rename.get(o.value.id) ?? o.value.name], outputs: [o.name], attrs: {} });
    }
  }
  const name: Named = (v) => rename.get(v.id) ?? v.name;

  const initializers: ReturnType<typeof tensor>[] = [];
  const seen = new Set<number>();
  for (const n of nodes) {
    for (const x of n.inputs) {
      const data = g.constants.get(x.id);
      if (data && live.has(x.id) && !seen.has(x.id)) {
        seen.add(x.id);
        initializers.push(tensor(x, data));
      }
    }
  }

  const protoNodes: ProtoNode[] = [];
  for (const n of nodes) {
    if (n.op === 'LogSoftmax') {
      const lowered = lowerLogSoftmax(n, name);
      const axesName = lowered[3]!.inputs[1]!;
      const axis = n.attrs.axis!.value as number;
      initializers.push(
        onnx.TensorProto.create({
          name: axesName,
          dataType: ONNX_DTYPE.int64,
          dims: [1],
          rawData: new Uint8Array(BigInt64Array.of(BigInt(axis)).buffer),
        }),
      );
      protoNodes.push(...lowered);
    } else {
      // LayerNormalization's statistics are optional outputs: left off when nothing reads them
      const outputs =
        n.op === 'LayerNormalization' ? n.outputs.slice(0, 1 + n.outputs.slice(1).findLastIndex((o) => live.has(o.id)) + 1) : n.outputs;
      protoNodes.push({ op: n.op, domain: n.domain, inputs: n.inputs.map(name), outputs: outputs.map(name), attrs: n.attrs });
    }
  }
  protoNodes.push(...copies);

  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    producerName: 'promptkd-studio',
    opsetImport: [
      { domain: '', version: OPSET },
      ...(protoNodes.some((n) => n.domain === MS_DOMAIN) ? [{ domain: MS_DOMAIN, version: MS_OPSET }] : []),
    ],
    graph: {
      name: g.name,
      input: g.inputs.map((v) => valueInfo(v.name, v)),
      output: g.outputs.map((o) => valueInfo(o.name, o.value)),
      initializer: initializers,
      node: protoNodes.map((n, i) =>
        onnx.NodeProto.create({
          name: `${n.op}_${i}`,
          opType: n.op,
          ...(n.domain ? { domain: n.domain } : {}),
          input: n.inputs,
          output: n.outputs,
          attribute: Object.entries(n.attrs).map(([k, a]) => attribute(k, a)),
        }),
      ),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
