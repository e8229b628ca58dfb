#!/usr/bin/env node
// ONNX Runtime side of bench/runtime_bench.py: latency on one thread, and throughput with
// one session per core running concurrently (one worker_thread each).
//
//   node ort_bench.js latency    --model m.onnx --input x.npy --warmup 5 --runs 30
//   node ort_bench.js throughput --model m.onnx --input x.npy --workers 2 --frames 64
//
// The input .npy feeds the model's first input. Sessions: 1 intra-op thread, 1 inter-op
// thread, sequential execution, graph optimization 'all'. Prints one JSON line:
//   latency:    {"median_ms":..., "min_ms":..., "runs":N, "times_ms":[...]}
//   throughput: {"fps":..., "frames":..., "seconds":..., "workers":W}
// Exits 1 with one sentence on stderr when ORT cannot load or run the model.
'use strict';

const fs = require('fs');
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');

const NPY_TYPES = { f4: ['float32', Float32Array], u1: ['uint8', Uint8Array], i1: ['int8', Int8Array],
                    i8: ['int64', BigInt64Array], i4: ['int32', Int32Array] };

function fail(message) {
  process.stderr.write(`ort_bench: ${message}\n`);
  process.exit(1);
}

function readNpy(path) {
  const buf = fs.readFileSync(path);
  if (buf.toString('latin1', 0, 6) !== '\x93NUMPY') fail(`'${path}' is not an npy file.`);
  const lenBytes = buf[6] === 1 ? 2 : 4;
  const headerLen = lenBytes === 2 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = 8 + lenBytes + headerLen;
  const header = buf.toString('latin1', 8 + lenBytes, start);
  const descr = /'descr':\s*'[<>|=](\w+)'/.exec(header);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header);
  const type = descr && NPY_TYPES[descr[1]];
  if (!type || !shape) fail(`'${path}' has a dtype or header this script does not handle.`);
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s).map(Number);
  const count = dims.reduce((a, b) => a * b, 1);
  const data = new type[1](count);
  Buffer.from(data.buffer).set(buf.subarray(start, start + count * type[1].BYTES_PER_ELEMENT));
  return { type: type[0], data, dims };
}

async function makeSession(ort, model) {
  try {
    return await ort.InferenceSession.create(model, {
      intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential',
    });
  } catch (e) {
    fail(`ONNX Runtime cannot load '${model}': ${String(e.message).split('\n')[0]}`);
  }
}

function feedsFor(ort, session, input) {
  const t = readNpy(input);
  return { [session.inputNames[0]]: new ort.Tensor(t.type, t.data, t.dims) };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function workerMain() {
  const ort = require('onnxruntime-node');
  const { model, input, frames } = workerData;
  const session = await makeSession(ort, model);
  const feeds = feedsFor(ort, session, input);
  await session.run(feeds);  // warm-up
  parentPort.postMessage({ ready: true });
  parentPort.once('message', async () => {
    for (let i = 0; i < frames; ++i) await session.run(feeds);
    parentPort.postMessage({ done: frames });
  });
}

function parseArgs(argv) {
  const args = { mode: argv[0], warmup: 5, runs: 30, workers: 2, frames: 64 };
  for (let i = 1; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (argv[i + 1] === undefined) fail(`flag ${argv[i]} needs a value.`);
    args[key] = ['warmup', 'runs', 'workers', 'frames'].includes(key) ? Number(argv[i + 1]) : argv[i + 1];
  }
  if (!['latency', 'throughput'].includes(args.mode)) fail('the first argument must be latency or throughput.');
  if (!args.model || !args.input) fail('--model and --input are required.');
  return args;
}

async function latency(args) {
  const ort = require('onnxruntime-node');
  const session = await makeSession(ort, args.model);
  const feeds = feedsFor(ort, session, args.input);
  for (let i = 0; i < args.warmup + 1; ++i) await session.run(feeds);
  const times = [];
  for (let i = 0; i < args.runs; ++i) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return { median_ms: median(times), min_ms: Math.min(...times), runs: times.length, times_ms: times };
}

async function throughput(args) {
  const workers = [];
  const ready = [];
  for (let w = 0; w < args.workers; ++w) {
    const worker = new Worker(__filename, { workerData: { model: args.model, input: args.input, frames: args.frames } });
    workers.push(worker);
    ready.push(new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    }));
  }
  await Promise.all(ready);
  const finished = workers.map((w) => new Promise((resolve) => w.once('message', (m) => resolve(m.done))));
  const t0 = process.hrtime.bigint();
  workers.forEach((w) => w.postMessage('go'));
  const counts = await Promise.all(finished);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await Promise.all(workers.map((w) => w.terminate()));
  const frames = counts.reduce((a, b) => a + b, 0);
  return { fps: frames / seconds, frames, seconds, workers: args.workers };
}

if (!isMainThread) {
  workerMain();
} else {
  const args = parseArgs(process.argv.slice(2));
  (args.mode === 'latency' ? latency(args) : throughput(args))
    .then((r) => process.stdout.write(JSON.stringify(r) + '\n'))
    .catch((e) => fail(String(e.message || e).split('\n')[0]));
}
