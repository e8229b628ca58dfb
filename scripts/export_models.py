#!/usr/bin/python3
"""Exports edgeq's test model zoo: torchvision architectures with random weights (never
downloaded) to ONNX, plus a fixed input and torch's output for it as .npy files.

    /usr/bin/python3 scripts/export_models.py --out build/models
    /usr/bin/python3 scripts/export_models.py --models resnet18,mobilenet_v2 --opsets 13

For each model <name> and opset <k> it writes, in --out:
    <name>_op<k>.onnx          input "input" 1x3x224x224 (static), output "output"
    <name>_input.npy           float32 input (fixed seed, standard normal)
    <name>_op<k>_output.npy    torch's output for that input (eval mode)
and manifest.json (the model list and file names). A model whose files all exist is
skipped; files are written under a temporary name and renamed, so an interrupted run
never leaves a file that looks complete.
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torchvision

INPUT_SHAPE = (1, 3, 224, 224)
BN_BATCHES = 4  # batches of BN_BATCH_SIZE random images to give BatchNorm realistic statistics
BN_BATCH_SIZE = 8


# ---- EfficientNet-Lite0: B0's stages without squeeze-excitation, ReLU6 everywhere -------

LITE0_STAGES = [  # (expand ratio, output channels, repeats, kernel, stride)
    (1, 16, 1, 3, 1),
    (6, 24, 2, 3, 2),
    (6, 40, 2, 5, 2),
    (6, 80, 3, 3, 2),
    (6, 112, 3, 5, 1),
    (6, 192, 4, 5, 2),
    (6, 320, 1, 3, 1),
]


def conv_bn_relu6(cin, cout, kernel, stride=1, groups=1, act=True):
    layers = [
        nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
    ]
    if act:
        layers.append(nn.ReLU6(inplace=True))
    return layers


class MBConvLite(nn.Module):
    def __init__(self, cin, cout, expand, kernel, stride):
        super().__init__()
        mid = cin * expand
        layers = []
        if expand != 1:
            layers += conv_bn_relu6(cin, mid, 1)
        layers += conv_bn_relu6(mid, mid, kernel, stride, groups=mid)
        layers += conv_bn_relu6(mid, cout, 1, act=False)
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.block(x)
        return x + y if self.residual else y


class EfficientNetLite0(nn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        layers = conv_bn_relu6(3, 32, 3, 2)  # the Lite variants keep the stem fixed at 32
        cin = 32
        for expand, cout, repeats, kernel, stride in LITE0_STAGES:
            for i in range(repeats):
                layers.append(MBConvLite(cin, cout, expand, kernel, stride if i == 0 else 1))
                cin = cout
        layers += conv_bn_relu6(cin, 1280, 1)  # and the head fixed at 1280
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(0.2)
        self.classifier = nn.Linear(1280, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
            elif isinstance(m, nn.Linear):
                nn.init.uniform_(m.weight, -1.0 / np.sqrt(1280), 1.0 / np.sqrt(1280))
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.pool(self.features(x))
        return self.classifier(self.dropout(torch.flatten(x, 1)))


MODELS = {
    "resnet18": lambda: torchvision.models.resnet18(weights=None),
    "resnet50": lambda: torchvision.models.resnet50(weights=None),
    "mobilenet_v2": lambda: torchvision.models.mobilenet_v2(weights=None),
    "mobilenet_v3_small": lambda: torchvision.models.mobilenet_v3_small(weights=None),
    "efficientnet_b0": lambda: torchvision.models.efficientnet_b0(weights=None),
    "efficientnet_lite0": EfficientNetLite0,
    "shufflenet_v2_x1_0": lambda: torchvision.models.shufflenet_v2_x1_0(weights=None),
    "squeezenet1_1": lambda: torchvision.models.squeezenet1_1(weights=None),
    "regnet_x_400mf": lambda: torchvision.models.regnet_x_400mf(weights=None),
}


def model_seed(name):
    # Stable across runs and Python versions (str hash is salted per process).
    return sum((i + 1) * ord(c) for i, c in enumerate(name)) % (2**31)


def file_names(name, opsets):
    files = {"input": f"{name}_input.npy"}
    for op in opsets:
        files[f"op{op}"] = f"{name}_op{op}.onnx"
        files[f"op{op}_output"] = f"{name}_op{op}_output.npy"
    return files


def calibrate_batchnorm(model, seed):
    """Runs random batches in train mode so running_mean/var look like a trained model's
    (momentum=None makes them the exact average over the batches), then switches to eval."""
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    saved = [bn.momentum for bn in bns]
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None
    gen = torch.Generator().manual_seed(seed + 1)
    model.train()
    with torch.no_grad():
        for _ in range(BN_BATCHES):
            model(torch.randn(BN_BATCH_SIZE, *INPUT_SHAPE[1:], generator=gen))
    for bn, m in zip(bns, saved):
        bn.momentum = m
    model.eval()


def save_npy(path, array):
    tmp = path + ".tmp.npy"
    np.save(tmp, array)
    os.replace(tmp, path)


def export_model(name, out_dir, opsets):
    seed = model_seed(name)
    torch.manual_seed(seed)
    model = MODELS[name]()
    if BN_BATCHES:
        calibrate_batchnorm(model, seed)
    model.eval()
    x = torch.randn(*INPUT_SHAPE, generator=torch.Generator().manual_seed(seed + 2))
    with torch.no_grad():
        y = model(x)
    files = file_names(name, opsets)
    for op in opsets:
        path = os.path.join(out_dir, files[f"op{op}"])
        tmp = path + ".tmp"
        torch.onnx.export(model, x, tmp, opset_version=op, input_names=["input"],
                          output_names=["output"], do_constant_folding=True)
        os.replace(tmp, path)
        save_npy(os.path.join(out_dir, files[f"op{op}_output"]), y.numpy().astype(np.float32))
    # The input goes last: its presence with all other files marks the model complete.
    save_npy(os.path.join(out_dir, files["input"]), x.numpy().astype(np.float32))


def write_manifest(out_dir, opsets):
    path = os.path.join(out_dir, "manifest.json")
    manifest = {
        "input_name": "input",
        "output_name": "output",
        "input_shape": list(INPUT_SHAPE),
        "opsets": opsets,
        "models": [
            {"name": name, "seed": model_seed(name), "files": file_names(name, opsets)}
            for name in MODELS
        ],
    }
    with open(path + ".tmp", "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    os.replace(path + ".tmp", path)


def parse_list(text):
    return [s.strip() for s in text.split(",") if s.strip()]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="build/models", help="output folder")
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated subset")
    parser.add_argument("--opsets", default="11,13", help="comma-separated opsets")
    args = parser.parse_args()

    names = parse_list(args.models)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        sys.exit(f"export_models: unknown model {', '.join(unknown)} (known: {', '.join(MODELS)})")
    try:
        opsets = [int(s) for s in parse_list(args.opsets)]
    except ValueError:
        sys.exit(f"export_models: --opsets must be integers, got '{args.opsets}'")

    torch.set_num_threads(2)
    os.makedirs(args.out, exist_ok=True)
    write_manifest(args.out, opsets)
    start = time.time()
    for i, name in enumerate(names):
        files = file_names(name, opsets).values()
        if all(os.path.exists(os.path.join(args.out, f)) for f in files):
            print(f"[{i + 1}/{len(names)}] {name}: cached", flush=True)
            continue
        t0 = time.time()
        export_model(name, args.out, opsets)
        print(f"[{i + 1}/{len(names)}] {name}: exported in {time.time() - t0:.1f} s", flush=True)
    print(f"export_models: {len(names)} models in {args.out} ({time.time() - start:.1f} s)")


if __name__ == "__main__":
    main()
