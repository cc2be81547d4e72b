// Turning graph inputs into constants: a model whose weights are fed at run time becomes a
// self-contained one whose weights are initializers, so a plain onnxruntime session needs only the
// remaining inputs. Works on the encoded ModelProto, after toOnnx, so any built graph can be baked.
import onnxProto from 'onnx-proto';
import type { HostTensor } from './tensor.ts';
import { ONNX_DTYPE, GraphError } from './graph.ts';

const { onnx } = onnxProto;

/** `model` with the inputs named in `feeds` replaced by initializers holding those tensors. */
export function bakeInputs(model: Uint8Array, feeds: Readonly<Record<string, HostTensor>>): Uint8Array {
  const proto = onnx.ModelProto.decode(model);
  const graph = proto.graph!;
  const inputs = new Map(graph.input!.map((v) => [v.name!, v]));
  for (const [name, t] of Object.entries(feeds)) {
    const declared = inputs.get(name);
    if (!declared) throw new GraphError(`cannot bake '${name}': the model has no such input`);
    const type = declared.type!.tensorType!;
    const dims = type.shape!.dim!.map((d) => Number(d.dimValue));
    if (type.elemType !== ONNX_DTYPE[t.dtype] || dims.join() !== t.shape.join()) {
      throw new GraphError(
        `cannot bake '${name}': the input is [${dims.join(',')}] of ONNX type ${type.elemType}, the tensor is ${t.dtype}[${t.shape.join(',')}]`,
      );
    }
    graph.initializer!.push(
      onnx.TensorProto.create({
        name,
        dataType: ONNX_DTYPE[t.dtype],
        dims: [...t.shape],
        rawData: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength).slice(),
      }),
    );
  }
  graph.input = graph.input!.filter((v) => !(v.name! in feeds));
  return onnx.ModelProto.encode(proto).finish();
}
