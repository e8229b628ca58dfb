#!/usr/bin/env node
// Runs an ONNX model in ONNX Runtime (CPU) on .npy inputs and writes its outputs as .npy.
//
//   node bench/node/run_ort.js model.onnx in0.npy,in1.npy out/prefix_
//   node bench/node/run_ort.js model.onnx x=img.npy,scale=s.npy out/prefix_
//
// Inputs are given in the session's input order, or by name as name=path. An empty input
// list is "-". For each output k it writes <prefix><k>.npy and, once, <prefix>outputs.json:
//   {"outputs":[{"name":"y","file":"<prefix>0.npy","dtype":"float32","shape":[1,8]}]}
// Exit code 0 on success; 1 with one sentence on stderr when ORT cannot load or run the model.
//
// Batch mode runs many models in one process (saves node's start-up per model):
//   node bench/node/run_ort.js --batch jobs.json
// jobs.json is [{"model":..., "inputs":["a.npy",...], "prefix":...}, ...]; each job writes
// its outputs as above, and <jobs.json>.results.json gets [{"ok":true|false,"error":"..."}].
//
// Graph optimizations are off by default (a cross-check should run the graph as written);
// EDGEQ_ORT_OPT=basic|extended|all turns them on (benchmarks).
'use strict';
const fs = require('fs');
const path = require('path');

const NPY_TO_ORT = {
  '<f4': 'float32', '<f8': 'float64', '<f2': 'float16', '|i1': 'int8', '|u1': 'uint8',
  '<i2': 'int16', '<u2': 'uint16', '<i4': 'int32', '<u4': 'uint32', '<i8': 'int64',
  '<u8': 'uint64', '|b1': 'bool',
};
const ORT_TO_NPY = Object.fromEntries(Object.entries(NPY_TO_ORT).map(([k, v]) => [v, k]));
const ARRAY_OF = {
  float32: Float32Array, float64: Float64Array, float16: Uint16Array, int8: Int8Array,
  uint8: Uint8Array, int16: Int16Array, uint16: Uint16Array, int32: Int32Array,
  uint32: Uint32Array, int64: BigInt64Array, uint64: BigUint64Array, bool: Uint8Array,
};

function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${file} is not a .npy file`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12);
  const header = buf.toString('latin1', start, start + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${file} is in Fortran order`);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)[1];
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length).map(Number);
  const type = NPY_TO_ORT[descr.replace('=', '<')];
  if (!type) throw new Error(`${file} has dtype ${descr}, which this runner does not handle`);
  const Arr = ARRAY_OF[type];
  const dataStart = start + headerLen;
  const bytes = buf.subarray(dataStart);
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  let data = new Arr(copy.buffer, 0, copy.length / Arr.BYTES_PER_ELEMENT);
  if (type === 'bool') data = Uint8Array.from(data, (v) => (v ? 1 : 0));
  return { type, shape, data };
}

function writeNpy(file, type, shape, data) {
  const descr = ORT_TO_NPY[type];
  if (!descr) throw new Error(`output dtype ${type} cannot be written as .npy`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  let body;
  if (type === 'bool') body = Buffer.from(Uint8Array.from(data, (v) => (v ? 1 : 0)));
  else body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, 'latin1'), body]));
}

async function runOne(ort, modelPath, items, prefix) {
  let session;
  try {
    session = await ort.InferenceSession.create(modelPath, { graphOptimizationLevel: process.env.EDGEQ_ORT_OPT || 'disabled' });
  } catch (e) {
    throw new Error(`ONNX Runtime cannot load ${modelPath}: ${e.message}`);
  }
  const feeds = {};
  items.forEach((item, k) => {
    const eq = item.indexOf('=');
    const name = eq > 0 ? item.slice(0, eq) : session.inputNames[k];
    const file = eq > 0 ? item.slice(eq + 1) : item;
    if (name === undefined) throw new Error(`the model has ${session.inputNames.length} inputs, but ${items.length} were given`);
    const { type, shape, data } = readNpy(file);
    feeds[name] = new ort.Tensor(type, data, shape);
  });
  let results;
  try {
    results = await session.run(feeds);
  } catch (e) {
    throw new Error(`ONNX Runtime cannot run ${modelPath}: ${e.message}`);
  }
  const outputs = [];
  fs.mkdirSync(path.dirname(path.resolve(`${prefix}outputs.json`)), { recursive: true });
  session.outputNames.forEach((name, k) => {
    const t = results[name];
    const file = `${prefix}${k}.npy`;
    writeNpy(file, t.type, t.dims, t.data);
    outputs.push({ name, file, dtype: t.type, shape: Array.from(t.dims) });
  });
  fs.writeFileSync(`${prefix}outputs.json`, JSON.stringify({ outputs }, null, 1));
  if (session.release) await session.release();
}

async function main() {
  const args = process.argv.slice(2);
  const ort = require('onnxruntime-node');
  if (args[0] === '--batch' && args[1]) {
    const jobs = JSON.parse(fs.readFileSync(args[1], 'utf8'));
    const results = [];
    for (const job of jobs) {
      try {
        await runOne(ort, job.model, job.inputs, job.prefix);
        results.push({ ok: true, error: '' });
      } catch (e) {
        results.push({ ok: false, error: e.message });
      }
    }
    fs.writeFileSync(`${args[1]}.results.json`, JSON.stringify(results, null, 1));
    return;
  }
  const [modelPath, inputList, prefix] = args;
  if (!modelPath || inputList === undefined || !prefix) {
    process.stderr.write('usage: node run_ort.js model.onnx in0.npy,in1.npy|name=in.npy,...|- out_prefix\n' +
                         '       node run_ort.js --batch jobs.json\n');
    process.exit(2);
  }
  const items = inputList === '-' || inputList === '' ? [] : inputList.split(',');
  await runOne(ort, modelPath, items, prefix);
}

main().catch((e) => {
  process.stderr.write(`${e.message}\n`);
  process.exit(1);
});
