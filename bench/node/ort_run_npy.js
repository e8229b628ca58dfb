#!/usr/bin/env node
// Runs an ONNX model in ONNX Runtime (CPU) on .npy inputs, writes its outputs as .npy and,
// with --runs, times it. Used by the zoo end-to-end test (cross-check) and by
// bench/float_latency.sh (timing side by side with edgeq).
//
//   node ort_run_npy.js --model m.onnx --input input=x.npy --output output=y.npy
//   node ort_run_npy.js --model m.onnx --input input=x.npy --warmup 5 --runs 30 --threads 1
//
// Prints one JSON line on stdout: {"model":..., "outputs":{name:[shape]}, "runs":N,
// "median_ms":..., "min_ms":..., "mean_ms":..., "times_ms":[...], "threads":T}. Exits 1 with one sentence on
// stderr for a bad argument, file or model.
'use strict';

const fs = require('fs');

const NPY_TYPES = {  // numpy descr (without byte order) -> [ort type, typed array]
  f4: ['float32', Float32Array], f8: ['float64', Float64Array], i1: ['int8', Int8Array],
  u1: ['uint8', Uint8Array], i2: ['int16', Int16Array], u2: ['uint16', Uint16Array],
  i4: ['int32', Int32Array], u4: ['uint32', Uint32Array], i8: ['int64', BigInt64Array],
  u8: ['uint64', BigUint64Array], b1: ['bool', Uint8Array],
};

function fail(message) {
  process.stderr.write(`ort_run_npy: ${message}\n`);
  process.exit(1);
}

function readNpy(path) {
  let buf;
  try {
    buf = fs.readFileSync(path);
  } catch (e) {
    fail(`cannot read '${path}' (${e.code}).`);
  }
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== '\x93NUMPY') fail(`'${path}' is not an npy file.`);
  const major = buf[6];
  const lenBytes = major === 1 ? 2 : 4;
  const headerLen = lenBytes === 2 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = 8 + lenBytes + headerLen;
  const header = buf.toString('latin1', 8 + lenBytes, start);
  const descr = /'descr':\s*'([<>|=])(\w+)'/.exec(header);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!descr || !shape) fail(`'${path}' has an npy header edgeq cannot parse.`);
  if (/'fortran_order':\s*True/.test(header)) fail(`'${path}' is in Fortran order.`);
  const type = NPY_TYPES[descr[2]];
  if (!type || (descr[1] === '>' && type[1].BYTES_PER_ELEMENT > 1)) fail(`'${path}' has unsupported dtype '${descr[1]}${descr[2]}'.`);
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s).map(Number);
  const count = dims.reduce((a, b) => a * b, 1);
  const bytes = count * type[1].BYTES_PER_ELEMENT;
  if (buf.length < start + bytes) fail(`'${path}' is truncated.`);
  // Copy so the typed array is aligned regardless of the header length.
  const data = new type[1](count);
  Buffer.from(data.buffer).set(buf.subarray(start, start + bytes));
  return { type: type[0], data, dims };
}

function writeNpy(path, tensor) {
  const entry = Object.entries(NPY_TYPES).find(([, t]) => t[0] === tensor.type);
  if (!entry) fail(`cannot write output of type ${tensor.type} as npy.`);
  const size = entry[1][1].BYTES_PER_ELEMENT;
  const descr = (size === 1 ? '|' : '<') + entry[0];
  const dims = tensor.dims.join(', ') + (tensor.dims.length === 1 ? ',' : '');
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${dims}), }`;
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  dict = dict.padEnd(total - 10 - 1, ' ') + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(dict.length, 8);
  const data = tensor.data;
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  fs.writeFileSync(path, Buffer.concat([head, Buffer.from(dict, 'latin1'), body]));
}

function parseArgs(argv) {
  const args = { inputs: {}, outputs: {}, warmup: 0, runs: 0, threads: 1 };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) fail(`flag ${flag} needs a value.`);
    const pair = () => {
      const eq = value.indexOf('=');
      if (eq <= 0) fail(`${flag} expects name=file.npy, got '${value}'.`);
      return [value.slice(0, eq), value.slice(eq + 1)];
    };
    if (flag === '--model') args.model = value;
    else if (flag === '--input') { const [k, v] = pair(); args.inputs[k] = v; }
    else if (flag === '--output') { const [k, v] = pair(); args.outputs[k] = v; }
    else if (flag === '--warmup') args.warmup = Number(value);
    else if (flag === '--runs') args.runs = Number(value);
    else if (flag === '--threads') args.threads = Number(value);
    else fail(`unknown flag '${flag}'.`);
  }
  if (!args.model) fail('--model is required.');
  return args;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  let ort;
  try {
    ort = require('onnxruntime-node');
  } catch (e) {
    fail(`onnxruntime-node is not installed (cd bench/node && ONNXRUNTIME_NODE_INSTALL=skip npm ci).`);
  }
  let session;
  try {
    session = await ort.InferenceSession.create(args.model, {
      intraOpNumThreads: args.threads, interOpNumThreads: 1,
      graphOptimizationLevel: 'all', executionMode: 'sequential',
    });
  } catch (e) {
    fail(`ONNX Runtime cannot load '${args.model}': ${String(e.message).split('\n')[0]}`);
  }
  const feeds = {};
  for (const name of session.inputNames) {
    if (!args.inputs[name]) fail(`model input '${name}' has no --input ${name}=file.npy.`);
    const t = readNpy(args.inputs[name]);
    feeds[name] = new ort.Tensor(t.type, t.data, t.dims);
  }
  let results;
  try {
    results = await session.run(feeds);
    for (let i = 0; i < args.warmup; ++i) await session.run(feeds);
  } catch (e) {
    fail(`ONNX Runtime failed to run '${args.model}': ${String(e.message).split('\n')[0]}`);
  }
  const times = [];
  for (let i = 0; i < args.runs; ++i) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const report = { model: args.model, threads: args.threads, outputs: {} };
  for (const name of session.outputNames) report.outputs[name] = results[name].dims;
  for (const [name, path] of Object.entries(args.outputs)) {
    if (!results[name]) fail(`model has no output '${name}'.`);
    writeNpy(path, results[name]);
  }
  if (times.length) {
    report.runs = times.length;
    report.median_ms = median(times);
    report.min_ms = Math.min(...times);
    report.mean_ms = times.reduce((a, b) => a + b, 0) / times.length;
    report.times_ms = times;
  }
  process.stdout.write(JSON.stringify(report) + '\n');
}

main();
