"""Writes small ONNX models for the edgeq checker tests into the folder given as argv[1]."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(0)


def save(model, name):
    onnx.save(model, os.path.join(out, name))


def conv_model(batch_dim):
    w = numpy_helper.from_array(rng.standard_normal((8, 3, 3, 3)).astype(np.float32), "w")
    b = numpy_helper.from_array(rng.standard_normal(8).astype(np.float32), "b")
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv0", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"], name="relu0"),
        helper.make_node("GlobalAveragePool", ["r"], ["p"], name="gap0"),
        helper.make_node("Flatten", ["p"], ["y"], name="flatten0"),
    ]
    g = helper.make_graph(nodes, "tiny_conv",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch_dim, 3, 16, 16])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [w, b])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="edgeq-tests")


good = conv_model(1)
save(good, "tiny_conv.onnx")
save(conv_model("batch"), "dynamic_input.onnx")

data = good.SerializeToString()
with open(os.path.join(out, "truncated.onnx"), "wb") as f:
    f.write(data[: len(data) // 2])
with open(os.path.join(out, "text.onnx"), "w") as f:
    f.write("this is a text file, not a model\n")

then_g = helper.make_graph([helper.make_node("Identity", ["x"], ["t"])], "then", [],
                           [helper.make_tensor_value_info("t", TensorProto.FLOAT, [1])])
else_g = helper.make_graph([helper.make_node("Neg", ["x"], ["e"])], "else", [],
                           [helper.make_tensor_value_info("e", TensorProto.FLOAT, [1])])
if_node = helper.make_node("If", ["cond"], ["y"], name="branch0", then_branch=then_g, else_branch=else_g)
g = helper.make_graph([if_node], "with_if",
                      [helper.make_tensor_value_info("cond", TensorProto.BOOL, []),
                       helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), "if_node.onnx")

# A model whose ops load but that edgeq has no kernel for.
g = helper.make_graph([helper.make_node("Relu", ["x"], ["r"], name="relu0"),
                       helper.make_node("NonZero", ["r"], ["y"], name="nonzero0")], "unsupported",
                      [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                      [helper.make_tensor_value_info("y", TensorProto.INT64, None)])
save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), "unsupported_op.onnx")
