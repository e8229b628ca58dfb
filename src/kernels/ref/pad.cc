// Pad: constant, reflect, edge (and wrap) modes; negative pads crop. Each output axis gets
// an index map (output index -> input index, or -1 for the constant); the last axis is
// turned into runs so that rows are copied with memcpy.
#include <algorithm>
#include <cstring>

#include "kernels/kernel.h"
#include "kernels/ref/data_movement.h"
#include "kernels/ref/util.h"

namespace edgeq::kernels::ref {
namespace {

enum class PadMode { kConstant, kReflect, kEdge, kWrap };

struct Run {
  int64_t out_start, src_start, len;  // src_start -1: constant
};

// Reads pads (per axis begin/end, over all dims) and the constant value bytes.
Status pad_params(const KernelContext& ctx, const Tensor& x, std::vector<int64_t>* pads,
                  std::vector<std::byte>* value) {
  const int64_t rank = x.rank();
  const size_t e = dtype_size(x.dtype());
  value->assign(e, std::byte{0});
  std::vector<int64_t> given, axes;
  if (ctx.opset < 11) {
    given = ctx.attrs.get_ints("pads");
    float v = ctx.attrs.get_float("value", 0.0f);
    Status s = convert_elements(&v, DType::kFloat32, value->data(), x.dtype(), 1);
    if (!s.ok()) return ctx.unsupported(s.message());
  } else {
    bool present = false;
    EDGEQ_RETURN_IF_ERROR(read_optional_ints(ctx, 1, "pads", &given, &present));
    if (!present) return ctx.error("needs input pads");
    const Tensor* cv = ctx.input(2);
    if (cv && cv->defined() && cv->numel() > 0) {
      if (cv->dtype() != x.dtype()) return ctx.error("constant_value must have the dtype of data");
      std::memcpy(value->data(), cv->raw(), e);
    }
  }
  bool has_axes = false;
  if (ctx.opset >= 18) EDGEQ_RETURN_IF_ERROR(read_optional_ints(ctx, 3, "axes", &axes, &has_axes));
  if (!has_axes)
    for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
  EDGEQ_RETURN_IF_ERROR(normalize_axes(ctx, axes, rank));
  if (given.size() != 2 * axes.size())
    return ctx.error("pads " + ints_to_string(given) + " must have 2 entries per padded axis (" +
                     std::to_string(axes.size()) + " axes)");
  pads->assign(static_cast<size_t>(2 * rank), 0);
  for (size_t i = 0; i < axes.size(); ++i) {
    (*pads)[static_cast<size_t>(axes[i])] = given[i];
    (*pads)[static_cast<size_t>(axes[i] + rank)] = given[i + axes.size()];
  }
  return {};
}

int64_t source_index(int64_t s, int64_t dim, PadMode mode) {
  if (s >= 0 && s < dim) return s;
  switch (mode) {
    case PadMode::kConstant: return -1;
    case PadMode::kEdge: return std::clamp<int64_t>(s, 0, dim - 1);
    case PadMode::kWrap: return ((s % dim) + dim) % dim;
    case PadMode::kReflect: {
      if (dim == 1) return 0;
      const int64_t period = 2 * (dim - 1);
      int64_t m = ((s % period) + period) % period;
      return m < dim ? m : period - m;
    }
  }
  return -1;
}

std::vector<Run> make_runs(const std::vector<int64_t>& map) {
  std::vector<Run> runs;
  for (int64_t o = 0; o < static_cast<int64_t>(map.size()); ++o) {
    const int64_t s = map[static_cast<size_t>(o)];
    if (!runs.empty()) {
      Run& r = runs.back();
      bool extends = r.src_start < 0 ? s < 0 : s == r.src_start + r.len;
      if (extends) {
        ++r.len;
        continue;
      }
    }
    runs.push_back({o, s, 1});
  }
  return runs;
}

}  // namespace

Status run_Pad(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  if (!x || !x->defined()) return ctx.error("needs input data");
  const std::string mode_name = ctx.attrs.get_string("mode", "constant");
  PadMode mode;
  if (mode_name == "constant") mode = PadMode::kConstant;
  else if (mode_name == "reflect") mode = PadMode::kReflect;
  else if (mode_name == "edge") mode = PadMode::kEdge;
  else if (mode_name == "wrap") mode = PadMode::kWrap;
  else return ctx.error("unknown mode '" + mode_name + "'");
  std::vector<int64_t> pads;
  std::vector<std::byte> value;
  EDGEQ_RETURN_IF_ERROR(pad_params(ctx, *x, &pads, &value));
  const int64_t rank = x->rank();
  if (rank == 0) {
    ctx.output(0) = x->clone();
    return {};
  }
  Dims out_shape(static_cast<size_t>(rank));
  std::vector<std::vector<int64_t>> maps(static_cast<size_t>(rank));
  for (int64_t d = 0; d < rank; ++d) {
    const auto i = static_cast<size_t>(d);
    const int64_t dim = x->dim(d), before = pads[i], after = pads[i + static_cast<size_t>(rank)];
    out_shape[i] = dim + before + after;
    if (out_shape[i] < 0)
      return ctx.error("pads " + ints_to_string(pads) + " crop axis " + std::to_string(d) + " below zero");
    if (dim == 0 && out_shape[i] > 0 && mode != PadMode::kConstant)
      return ctx.error("cannot pad an empty axis in " + mode_name + " mode");
    maps[i].resize(static_cast<size_t>(out_shape[i]));
    for (int64_t o = 0; o < out_shape[i]; ++o) maps[i][static_cast<size_t>(o)] = source_index(o - before, dim, mode);
  }
  Tensor out(x->dtype(), out_shape);
  const int64_t total = out.numel();
  if (total == 0) {
    ctx.output(0) = std::move(out);
    return {};
  }
  const auto e = static_cast<int64_t>(dtype_size(x->dtype()));
  const Dims strides = shape_strides(x->shape());
  const std::vector<Run> runs = make_runs(maps.back());
  const int64_t row_len = out_shape.back(), rows = total / row_len;
  const auto* src = static_cast<const std::byte*>(x->raw());
  auto* dst = static_cast<std::byte*>(out.raw());
  std::vector<int64_t> idx(static_cast<size_t>(rank - 1), 0);
  for (int64_t r = 0; r < rows; ++r) {
    std::byte* drow = dst + r * row_len * e;
    int64_t off = 0;
    bool constant_row = false;
    for (size_t d = 0; d + 1 < static_cast<size_t>(rank); ++d) {
      const int64_t s = maps[d][static_cast<size_t>(idx[d])];
      if (s < 0) constant_row = true;
      off += s * strides[d];
    }
    if (constant_row) {
      fill_bytes(drow, value.data(), row_len, static_cast<size_t>(e));
    } else {
      for (const Run& run : runs) {
        if (run.src_start < 0)
          fill_bytes(drow + run.out_start * e, value.data(), run.len, static_cast<size_t>(e));
        else
          std::memcpy(drow + run.out_start * e, src + (off + run.src_start) * e, static_cast<size_t>(run.len * e));
      }
    }
    for (size_t d = idx.size(); d-- > 0;) {
      if (++idx[d] < out_shape[d]) break;
      idx[d] = 0;
    }
  }
  ctx.output(0) = std::move(out);
  return {};
}

}  // namespace edgeq::kernels::ref
