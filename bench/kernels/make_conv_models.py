"""Writes single-Conv ONNX models (random weights) for the layers of conv_bench.cc, so ONNX
Runtime can time the same layers: /usr/bin/python3 make_conv_models.py OUT_DIR"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto

# name, C, H, M, kernel, stride, group — keep in sync with kLayers in conv_bench.cc.
LAYERS = [
    ("r50_conv1_7x7s2", 3, 224, 64, 7, 2, 1),
    ("r50_res2_1x1_64_64", 64, 56, 64, 1, 1, 1),
    ("r50_res2_3x3_64", 64, 56, 64, 3, 1, 1),
    ("r50_res2_1x1_64_256", 64, 56, 256, 1, 1, 1),
    ("r50_res3_3x3s2_128", 128, 56, 128, 3, 2, 1),
    ("r50_res3_1x1_512_128", 512, 28, 128, 1, 1, 1),
    ("r50_res4_3x3_256", 256, 14, 256, 3, 1, 1),
    ("r50_res4_1x1_1024_256", 1024, 14, 256, 1, 1, 1),
    ("r50_res5_3x3_512", 512, 7, 512, 3, 1, 1),
    ("r50_res5_1x1_512_2048", 512, 7, 2048, 1, 1, 1),
    ("mv2_conv1_3x3s2", 3, 224, 32, 3, 2, 1),
    ("mv2_dw3x3_32", 32, 112, 32, 3, 1, 32),
    ("mv2_1x1_32_16", 32, 112, 16, 1, 1, 1),
    ("mv2_1x1_16_96", 16, 112, 96, 1, 1, 1),
    ("mv2_dw3x3s2_96", 96, 112, 96, 3, 2, 96),
    ("mv2_dw3x3_144", 144, 56, 144, 3, 1, 144),
    ("mv2_1x1_144_24", 144, 56, 24, 1, 1, 1),
    ("mv2_dw3x3_576", 576, 14, 576, 3, 1, 576),
    ("mv2_1x1_576_96", 576, 14, 96, 1, 1, 1),
    ("mv2_1x1_320_1280", 320, 7, 1280, 1, 1, 1),
    ("mv2_dw3x3s2_576", 576, 14, 576, 3, 2, 576),
    ("mv2_dw3x3_960", 960, 7, 960, 3, 1, 960),
    ("mv2_1x1_64_384", 64, 14, 384, 1, 1, 1),
    ("mv2_1x1_384_64", 384, 14, 64, 1, 1, 1),
    ("mv2_1x1_160_960", 160, 7, 960, 1, 1, 1),
    ("mv2_1x1_960_160", 960, 7, 160, 1, 1, 1),
]


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    shapes = {}
    rng = np.random.default_rng(0)
    for name, c, h, m, k, s, g in LAYERS:
        p = k // 2
        w = rng.uniform(-1, 1, (m, c // g, k, k)).astype(np.float32)
        b = rng.uniform(-1, 1, (m,)).astype(np.float32)
        oh = (h + 2 * p - k) // s + 1
        node = helper.make_node("Conv", ["x", "w", "b"], ["y"], pads=[p] * 4, strides=[s, s], group=g)
        graph = helper.make_graph(
            [node], name,
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, c, h, h])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, m, oh, oh])],
            [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        onnx.save(model, os.path.join(out_dir, name + ".onnx"))
        shapes[name] = [1, c, h, h]
    with open(os.path.join(out_dir, "shapes.json"), "w") as f:
        json.dump(shapes, f)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/edgeq_conv_models")
