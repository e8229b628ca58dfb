// The op list, written once. Every entry has a reference kernel `ref::run_<Op>` (the
// oracle: plain C++, all dtypes the op allows); ops in EDGEQ_FAST_OPS also have a fast
// kernel `onednn::run_<Op>` that must match the reference within a stated tolerance.
// Tests iterate over these lists, so an op without its kernel or test fails the build's tests.
#pragma once

// X(Op, file) — `file` names the source file group under src/kernels/ref/ that owns it.
#define EDGEQ_REF_OPS(X)                                                                   \
  /* nn: convolution, matrix products, pooling (ref/nn.cc) */                             \
  X(Conv, nn) X(ConvTranspose, nn) X(Gemm, nn) X(MatMul, nn) X(MaxPool, nn)                \
  X(AveragePool, nn) X(GlobalAveragePool, nn) X(GlobalMaxPool, nn) X(LRN, nn)             \
  /* normalization (ref/normalization.cc) */                                              \
  X(BatchNormalization, normalization) X(InstanceNormalization, normalization)            \
  X(LayerNormalization, normalization) X(MeanVarianceNormalization, normalization)        \
  /* activations and unary math (ref/unary.cc) */                                         \
  X(Relu, unary) X(Clip, unary) X(LeakyRelu, unary) X(PRelu, unary) X(Sigmoid, unary)     \
  X(HardSigmoid, unary) X(HardSwish, unary) X(Tanh, unary) X(Elu, unary) X(Selu, unary)   \
  X(Celu, unary) X(Softplus, unary) X(Softsign, unary) X(ThresholdedRelu, unary)          \
  X(Shrink, unary) X(Erf, unary) X(Sqrt, unary) X(Exp, unary) X(Log, unary) X(Neg, unary) \
  X(Abs, unary) X(Reciprocal, unary) X(Floor, unary) X(Ceil, unary) X(Round, unary)       \
  X(Sign, unary) X(Sin, unary) X(Cos, unary) X(Tan, unary) X(Asin, unary) X(Acos, unary)  \
  X(Atan, unary) X(Sinh, unary) X(Cosh, unary) X(Asinh, unary) X(Acosh, unary)            \
  X(Atanh, unary) X(IsNaN, unary) X(IsInf, unary) X(Not, unary) X(Gelu, unary)            \
  /* broadcasting binary and variadic (ref/binary.cc) */                                  \
  X(Add, binary) X(Sub, binary) X(Mul, binary) X(Div, binary) X(Pow, binary)              \
  X(Mod, binary) X(BitShift, binary) X(Min, binary) X(Max, binary) X(Sum, binary)         \
  X(Mean, binary) X(Equal, binary) X(Less, binary) X(LessOrEqual, binary)                 \
  X(Greater, binary) X(GreaterOrEqual, binary) X(And, binary) X(Or, binary)               \
  X(Xor, binary) X(Where, binary)                                                         \
  /* softmax, reductions, arg reductions (ref/reduce.cc) */                               \
  X(Softmax, reduce) X(LogSoftmax, reduce) X(Hardmax, reduce) X(ReduceMean, reduce)       \
  X(ReduceSum, reduce) X(ReduceMax, reduce) X(ReduceMin, reduce) X(ReduceProd, reduce)    \
  X(ReduceL1, reduce) X(ReduceL2, reduce) X(ReduceSumSquare, reduce)                      \
  X(ReduceLogSum, reduce) X(ReduceLogSumExp, reduce) X(ArgMax, reduce) X(ArgMin, reduce)  \
  X(CumSum, reduce)                                                                       \
  /* shape and data movement (ref/tensor_ops.cc) */                                       \
  X(Concat, tensor_ops) X(Split, tensor_ops) X(Slice, tensor_ops) X(Reshape, tensor_ops)  \
  X(Flatten, tensor_ops) X(Transpose, tensor_ops) X(Squeeze, tensor_ops)                  \
  X(Unsqueeze, tensor_ops) X(Shape, tensor_ops) X(Size, tensor_ops) X(Gather, tensor_ops) \
  X(GatherElements, tensor_ops) X(Constant, tensor_ops) X(ConstantOfShape, tensor_ops)    \
  X(Identity, tensor_ops) X(Dropout, tensor_ops) X(Cast, tensor_ops) X(CastLike, tensor_ops) \
  X(Expand, tensor_ops) X(Tile, tensor_ops) X(Pad, tensor_ops) X(DepthToSpace, tensor_ops) \
  X(SpaceToDepth, tensor_ops) X(Range, tensor_ops) X(Trilu, tensor_ops)                   \
  X(EyeLike, tensor_ops) X(OneHot, tensor_ops)                                            \
  /* resampling (ref/resize.cc) */                                                        \
  X(Resize, resize) X(Upsample, resize)                                                   \
  /* quantization (ref/quantize.cc) */                                                    \
  X(QuantizeLinear, quantize) X(DequantizeLinear, quantize)                              \
  /* edgeq's internal ops (domain "edgeq", see EDGEQ_INTERNAL_OPS) */                     \
  X(FusedConv, nn)

// Internal ops live in domain "edgeq": the optimization passes make them, the interpreter
// runs them, and the ONNX exporter expands them back into standard ops.
//   FusedConv(X, W, [B], [Z]) = activation(Conv(X, W, B) + Z), with Conv's attributes plus
//   `activation` ("" | Relu | Clip | LeakyRelu | HardSwish | Sigmoid | Tanh | HardSigmoid)
//   and `activation_params` (floats: Clip min,max; LeakyRelu alpha; HardSigmoid alpha,beta).
#define EDGEQ_INTERNAL_OPS(X) X(FusedConv)

// Ops with a oneDNN f32 kernel (src/kernels/onednn/).
#define EDGEQ_FAST_OPS(X)                                                           \
  X(Conv) X(ConvTranspose) X(Gemm) X(MatMul) X(MaxPool) X(AveragePool)              \
  X(GlobalAveragePool) X(GlobalMaxPool) X(FusedConv)
