// Graph → ONNX ModelProto bytes, through the onnx-proto (protobufjs) message classes.
import onnxProto from 'onnx-proto';
import { Graph, ONNX_DTYPE, type Attr, type Value, type TypedArray } from './graph.ts';

const { onnx } = onnxProto;
export const OPSET = 17;
const IR_VERSION = 8;

function valueInfo(v: Value) {
  return onnx.ValueInfoProto.create({
    name: v.name,
    type: { tensorType: { elemType: ONNX_DTYPE[v.dtype], shape: { dim: v.shape.map((d) => ({ dimValue: d })) } } },
  });
}

function attribute(name: string, a: Attr) {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.kind) {
    case 'int': return onnx.AttributeProto.create({ name, type: T.INT, i: a.value });
    case 'float': return onnx.AttributeProto.create({ name, type: T.FLOAT, f: a.value });
    case 'ints': return onnx.AttributeProto.create({ name, type: T.INTS, ints: [...a.value] });
    case 'string': return onnx.AttributeProto.create({ name, type: T.STRING, s: new TextEncoder().encode(a.value) });
  }
}

function tensor(v: Value, data: TypedArray) {
  return onnx.TensorProto.create({
    name: v.name, dataType: ONNX_DTYPE[v.dtype], dims: [...v.shape],
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice(),
  });
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
  const initializers: ReturnType<typeof tensor>[] = [];
  for (const [id, data] of g.constants) {
    if (!live.has(id)) continue;
    const v = findConstant(g, id, nodes);
    if (v) initializers.push(tensor(v, data));
  }
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    producerName: 'promptkd-studio',
    opsetImport: [{ domain: '', version: OPSET }],
    graph: {
      name: g.name,
      input: g.inputs.map(valueInfo),
      output: g.outputs.map((o) => valueInfo(o.value)),
      initializer: initializers,
      node: nodes.map((n, i) => onnx.NodeProto.create({
        name: `${n.op}_${i}`, opType: n.op,
        input: n.inputs.map((x) => x.name), output: n.outputs.map((y) => y.name),
        attribute: Object.entries(n.attrs).map(([k, a]) => attribute(k, a)),
      })),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

function findConstant(g: Graph, id: number, nodes: readonly { inputs: readonly Value[] }[]): Value | undefined {
  for (const n of nodes) for (const x of n.inputs) if (x.id === id) return x;
  return g.outputs.find((o) => o.value.id === id)?.value;
}
