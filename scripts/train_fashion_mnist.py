#!/usr/bin/python3
"""Trains a small CNN on Fashion-MNIST (Debian package dataset-fashion-mnist) and exports
what the quantization accuracy test needs, cached in --out (skipped when already there):

  model.onnx            opset 13, input "input" f32[batch,1,28,28] (pixels / 255), output "logits"
  test_images.npy       f32[10000,1,28,28]
  test_labels.npy       i64[10000]
  cal/NNNN.npy          100 training images, f32[1,1,28,28] each (the calibration folder)
  info.json             torch's float test accuracy, seed, epochs

Conv-BN-ReLU x3 + pooling + a linear layer; fixed seed; about a minute on 2 cores.
"""
import argparse
import gzip
import json
import os
import time

import numpy as np
import torch
import torch.nn as nn

DATA = "/usr/share/datasets/fashion-mnist"
SEED = 20261124
EPOCHS = 2
BATCH = 128


def read_idx(name):
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


class SmallCnn(nn.Module):
    def __init__(self):
        super().__init__()

        def block(cin, cout):
            return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]

        self.features = nn.Sequential(*block(1, 16), nn.MaxPool2d(2), *block(16, 32), nn.MaxPool2d(2),
                                      *block(32, 64), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        return self.fc(self.features(x))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    out = args.out
    if os.path.exists(os.path.join(out, "info.json")):
        print(f"{out}: already there")
        return
    os.makedirs(os.path.join(out, "cal"), exist_ok=True)
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    torch.set_num_threads(2)

    train_x = read_idx("train-images-idx3-ubyte.gz").astype(np.float32)[:, None] / 255.0
    train_y = read_idx("train-labels-idx1-ubyte.gz").astype(np.int64)
    test_x = read_idx("t10k-images-idx3-ubyte.gz").astype(np.float32)[:, None] / 255.0
    test_y = read_idx("t10k-labels-idx1-ubyte.gz").astype(np.int64)

    model = SmallCnn()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    loss_fn = nn.CrossEntropyLoss()
    tx, ty = torch.from_numpy(train_x), torch.from_numpy(train_y)
    start = time.time()
    for epoch in range(EPOCHS):
        model.train()
        perm = torch.randperm(len(tx))
        for i in range(0, len(tx), BATCH):
            idx = perm[i:i + BATCH]
            opt.zero_grad()
            loss = loss_fn(model(tx[idx]), ty[idx])
            loss.backward()
            opt.step()
        print(f"epoch {epoch + 1}/{EPOCHS}: loss {loss.item():.4f}, {time.time() - start:.0f} s", flush=True)

    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(torch.from_numpy(test_x[i:i + 1000])).argmax(1) for i in range(0, len(test_x), 1000)])
    acc = float((pred.numpy() == test_y).mean())
    print(f"float test accuracy (torch): {acc * 100:.2f}%")

    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), os.path.join(out, "model.onnx"), opset_version=13,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    np.save(os.path.join(out, "test_images.npy"), test_x)
    np.save(os.path.join(out, "test_labels.npy"), test_y)
    rng = np.random.default_rng(SEED)
    for k, i in enumerate(rng.choice(len(train_x), 100, replace=False)):
        np.save(os.path.join(out, "cal", f"{k:04d}.npy"), train_x[i:i + 1])
    with open(os.path.join(out, "info.json"), "w") as f:
        json.dump({"torch_float_accuracy": acc, "seed": SEED, "epochs": EPOCHS,
                   "train_seconds": time.time() - start}, f, indent=1)


if __name__ == "__main__":
    main()
