// Times the single-Conv models from make_conv_models.py with ONNX Runtime (CPU, fp32,
// intraOpNumThreads=1 by default), median CPU ms per run, same output format as conv_bench.
//   NODE_PATH=bench/node/node_modules node bench/kernels/ort_conv_bench.js DIR [threads] [min_ms]
const ort = require('onnxruntime-node');
const fs = require('fs');
const path = require('path');

async function main() {
  const dir = process.argv[2] || '/tmp/edgeq_conv_models';
  const threads = Number(process.argv[3] || 1);
  const minMs = Number(process.argv[4] || 300);
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.onnx')).sort();
  console.log(`threads=${threads} backend=onnxruntime`);
  for (const f of files) {
    const session = await ort.InferenceSession.create(path.join(dir, f), {
      intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all',
      executionProviders: ['cpu'],
    });
    const meta = session.inputNames[0];
    const dims = JSON.parse(fs.readFileSync(path.join(dir, 'shapes.json')))[f.replace('.onnx', '')];
    const x = new ort.Tensor('float32', Float32Array.from({ length: dims.reduce((a, b) => a * b) }, () => Math.random() * 2 - 1), dims);
    await session.run({ [meta]: x });
    const times = [];
    let total = 0;
    while (total < minMs || times.length < 5) {
      // Process CPU time (user + system): with one intra-op thread this is the kernel's
      // time even when other jobs share the machine.
      const c0 = process.cpuUsage();
      await session.run({ [meta]: x });
      const c = process.cpuUsage(c0);
      const ms = (c.user + c.system) / 1e3;
      times.push(ms);
      total += ms;
    }
    times.sort((a, b) => a - b);
    console.log(`${f.replace('.onnx', '').padEnd(24)} ${times[Math.floor(times.length / 2)].toFixed(3).padStart(10)}`);
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
