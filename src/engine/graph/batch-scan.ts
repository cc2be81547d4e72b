// A model of any batch from one built for a batch of 1. The graph builder's shapes are static (a
// Reshape names the batch), but an exported classifier must take whatever batch its caller has
// (transformers.js passes every image of a call at once). ONNX's Scan runs the batch-1 graph once
// per row of the input and stacks the rows' outputs:
//
//   input [N, ...rest] → Scan(body: Unsqueeze → the batch-1 graph → Squeeze) → outputs [N, ...]
//
// The weights stay initializers of the outer graph, which the body reads from its enclosing scope,
// so a model is not made larger. Works on encoded ModelProto bytes, after toOnnx and bakeInputs.
import onnxProto from 'onnx-proto';
import { GraphError } from './graph.ts';

const { onnx } = onnxProto;

/** the symbolic name of the batch dimension in the wrapped model's inputs and outputs */
const BATCH_DIM = 'batch';

export interface ScanNames {
  /**
   * the outer model's names for the batch-1 model's input and its outputs (each output by its name):
   * other names than the batch-1 model's own, which the Scan's body keeps (ONNX lets no subgraph
   * define a name of the graph around it)
   */
  input: string;
  outputs: Readonly<Record<string, string>>;
}

type ValueInfo = onnxProto.onnx.IValueInfoProto;

const dimsOf = (v: ValueInfo): number[] => v.type!.tensorType!.shape!.dim!.map((d) => Number(d.dimValue));

function valueInfo(name: string, elemType: number, dims: (number | string)[]): ValueInfo {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } },
    },
  });
}

/** `model` (one input and outputs of batch 1) as a model whose input and outputs are [batch, ...]. */
export function scanOverBatch(model: Uint8Array, names: ScanNames): Uint8Array {
  const proto = onnx.ModelProto.decode(model);
  const graph = proto.graph!;
  if (graph.input!.length !== 1)
    throw new GraphError(`scanOverBatch needs a model with one input (weights baked in), got ${graph.input!.length}`);
  const input = graph.input![0]!;
  for (const v of [input, ...graph.output!]) {
    if (dimsOf(v)[0] !== 1) throw new GraphError(`scanOverBatch needs batch-1 values, but '${v.name}' is [${dimsOf(v).join(',')}]`);
  }
  const inName = input.name!,
    outerIn = names.input;
  const outerOut = (name: string) => {
    const outer = names.outputs[name];
    if (outer === undefined) throw new GraphError(`scanOverBatch: no outer name for output '${name}'`);
    return outer;
  };
  const inner = new Set([inName, ...graph.node!.flatMap((n) => n.output!)]);
  for (const outer of [outerIn, ...graph.output!.map((o) => outerOut(o.name!))]) {
    if (inner.has(outer))
      throw new GraphError(`scanOverBatch: the outer name '${outer}' is a name inside the batch-1 model; choose another`);
  }
  // the body's own values are prefixed: they must not clash with the outer graph's names
  const row = (name: string) => `scan_row/${name}`;
  const axes = 'scan_row/axes0';
  const elemOf = (v: ValueInfo) => v.type!.tensorType!.elemType!;

  const body = onnx.GraphProto.create({
    name: 'per_row',
    input: [valueInfo(row(inName), elemOf(input), dimsOf(input).slice(1))],
    output: graph.output!.map((o) => valueInfo(row(o.name!), elemOf(o), dimsOf(o).slice(1))),
    node: [
      onnx.NodeProto.create({
        opType: 'Constant',
        output: [axes],
        attribute: [
          onnx.AttributeProto.create({
            name: 'value',
            type: onnx.AttributeProto.AttributeType.TENSOR,
            t: onnx.TensorProto.create({ dataType: onnx.TensorProto.DataType.INT64, dims: [1], int64Data: [0] }),
          }),
        ],
      }),
      onnx.NodeProto.create({ opType: 'Unsqueeze', input: [row(inName), axes], output: [inName] }), // [1, ...rest]
      ...graph.node!,
      ...graph.output!.map((o) => onnx.NodeProto.create({ opType: 'Squeeze', input: [o.name!, axes], output: [row(o.name!)] })),
    ],
  });
  const scan = onnx.NodeProto.create({
    opType: 'Scan',
    name: 'scan_over_batch',
    input: [outerIn],
    output: graph.output!.map((o) => outerOut(o.name!)),
    attribute: [
      onnx.AttributeProto.create({ name: 'body', type: onnx.AttributeProto.AttributeType.GRAPH, g: body }),
      onnx.AttributeProto.create({ name: 'num_scan_inputs', type: onnx.AttributeProto.AttributeType.INT, i: 1 }),
    ],
  });
  graph.node = [scan];
  graph.input = [valueInfo(outerIn, elemOf(input), [BATCH_DIM, ...dimsOf(input).slice(1)])];
  graph.output = graph.output!.map((o) => valueInfo(outerOut(o.name!), elemOf(o), [BATCH_DIM, ...dimsOf(o).slice(1)]));
  graph.valueInfo = [];
  return onnx.ModelProto.encode(proto).finish();
}
