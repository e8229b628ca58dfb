#include "kernels/ref/data_movement.h"

#include <algorithm>
#include <cstring>

#include "kernels/ref/util.h"

namespace edgeq::kernels::ref {
namespace {

// Copies `n` elements with the given strides; typed loads for the usual sizes so the
// compiler emits plain moves instead of memcpy calls per element.
template <typename T>
void copy_run_typed(std::byte* dst, const std::byte* src, int64_t n, int64_t ds, int64_t ss) {
  T* d = reinterpret_cast<T*>(dst);
  const T* s = reinterpret_cast<const T*>(src);
  for (int64_t i = 0; i < n; ++i) d[i * ds] = s[i * ss];
}

void copy_run(std::byte* dst, const std::byte* src, int64_t n, int64_t ds, int64_t ss, size_t esize) {
  if (ds == 1 && ss == 1) {
    std::memcpy(dst, src, static_cast<size_t>(n) * esize);
    return;
  }
  switch (esize) {
    case 1: copy_run_typed<uint8_t>(dst, src, n, ds, ss); return;
    case 2: copy_run_typed<uint16_t>(dst, src, n, ds, ss); return;
    case 4: copy_run_typed<uint32_t>(dst, src, n, ds, ss); return;
    case 8: copy_run_typed<uint64_t>(dst, src, n, ds, ss); return;
    default:
      for (int64_t i = 0; i < n; ++i)
        std::memcpy(dst + i * ds * static_cast<int64_t>(esize), src + i * ss * static_cast<int64_t>(esize), esize);
  }
}

// 2-D tile copy for transposes: dst[a*dsa + b] = src[a + b*ssb] over an na x nb block,
// in 32x32 tiles so both sides stay in cache.
template <typename T>
void transpose_tiles(std::byte* dst, const std::byte* src, int64_t na, int64_t nb, int64_t dsa, int64_t ssb) {
  constexpr int64_t kTile = 32;
  T* d = reinterpret_cast<T*>(dst);
  const T* s = reinterpret_cast<const T*>(src);
  for (int64_t a0 = 0; a0 < na; a0 += kTile) {
    const int64_t a1 = std::min(na, a0 + kTile);
    for (int64_t b0 = 0; b0 < nb; b0 += kTile) {
      const int64_t b1 = std::min(nb, b0 + kTile);
      for (int64_t a = a0; a < a1; ++a)
        for (int64_t b = b0; b < b1; ++b) d[a * dsa + b] = s[a + b * ssb];
    }
  }
}

bool transpose_tiles_any(std::byte* dst, const std::byte* src, int64_t na, int64_t nb, int64_t dsa, int64_t ssb,
                         size_t esize) {
  switch (esize) {
    case 1: transpose_tiles<uint8_t>(dst, src, na, nb, dsa, ssb); return true;
    case 2: transpose_tiles<uint16_t>(dst, src, na, nb, dsa, ssb); return true;
    case 4: transpose_tiles<uint32_t>(dst, src, na, nb, dsa, ssb); return true;
    case 8: transpose_tiles<uint64_t>(dst, src, na, nb, dsa, ssb); return true;
    default: return false;
  }
}

// Odometer over every dim except those in `skip`, calling f(dst_offset, src_offset).
template <typename F>
void for_each_outer(const Dims& n, const Dims& ds, const Dims& ss, const std::vector<bool>& skip, F&& f) {
  const size_t rank = n.size();
  std::vector<int64_t> idx(rank, 0);
  int64_t d_off = 0, s_off = 0;
  while (true) {
    f(d_off, s_off);
    size_t k = rank;
    while (k-- > 0) {
      if (skip[k]) continue;
      d_off += ds[k];
      s_off += ss[k];
      if (++idx[k] < n[k]) break;
      d_off -= ds[k] * n[k];
      s_off -= ss[k] * n[k];
      idx[k] = 0;
    }
    if (k == static_cast<size_t>(-1)) return;
  }
}

}  // namespace

void copy_strided(void* dst, const void* src, std::span<const int64_t> shape,
                  std::span<const int64_t> dst_strides, std::span<const int64_t> src_strides,
                  size_t esize) {
  // Drop size-1 dims and merge dims contiguous in both tensors (outermost first).
  Dims n, ds, ss;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 0) return;
    if (shape[i] == 1) continue;
    if (!n.empty() && ds.back() == dst_strides[i] * shape[i] && ss.back() == src_strides[i] * shape[i]) {
      n.back() *= shape[i];
      ds.back() = dst_strides[i];
      ss.back() = src_strides[i];
      continue;
    }
    n.push_back(shape[i]);
    ds.push_back(dst_strides[i]);
    ss.push_back(src_strides[i]);
  }
  auto* d = static_cast<std::byte*>(dst);
  auto* s = static_cast<const std::byte*>(src);
  if (n.empty()) {
    std::memcpy(d, s, esize);
    return;
  }
  const size_t rank = n.size();
  const int64_t inner = n.back(), inner_ds = ds.back(), inner_ss = ss.back();
  const auto e = static_cast<int64_t>(esize);
  // A transpose: the destination is contiguous along the last dim but the source is
  // contiguous along another one. Copy 2-D tiles of those two dims.
  if (rank >= 2 && inner_ds == 1 && inner_ss != 1) {
    size_t k = 0;
    while (k + 1 < rank && ss[k] != 1) ++k;
    if (k + 1 < rank && n[k] * inner >= 256 && esize <= 8) {
      std::vector<bool> skip(rank, false);
      skip[k] = skip[rank - 1] = true;
      for_each_outer(n, ds, ss, skip, [&](int64_t d_off, int64_t s_off) {
        transpose_tiles_any(d + d_off * e, s + s_off * e, n[k], inner, ds[k], inner_ss, esize);
      });
      return;
    }
  }
  std::vector<int64_t> idx(rank, 0);
  int64_t d_off = 0, s_off = 0;  // in elements
  while (true) {
    copy_run(d + d_off * e, s + s_off * e, inner, inner_ds, inner_ss, esize);
    size_t k = rank - 1;
    while (k-- > 0) {
      d_off += ds[k];
      s_off += ss[k];
      if (++idx[k] < n[k]) break;
      d_off -= ds[k] * n[k];
      s_off -= ss[k] * n[k];
      idx[k] = 0;
    }
    if (k == static_cast<size_t>(-1)) return;
  }
}

void fill_bytes(void* dst, const void* value, int64_t count, size_t esize) {
  if (count <= 0) return;
  auto* d = static_cast<std::byte*>(dst);
  const auto* v = static_cast<const std::byte*>(value);
  bool all_zero = std::all_of(v, v + esize, [](std::byte b) { return b == std::byte{0}; });
  if (all_zero) {
    std::memset(d, 0, static_cast<size_t>(count) * esize);
    return;
  }
  std::memcpy(d, v, esize);
  // Doubling copies: log2(count) memcpy calls.
  int64_t done = 1;
  while (done < count) {
    int64_t n = std::min(done, count - done);
    std::memcpy(d + done * esize, d, static_cast<size_t>(n) * esize);
    done += n;
  }
}

Status write_one(DType t, void* dst) {
  switch (t) {
    case DType::kFloat16: *static_cast<uint16_t*>(dst) = float_to_half(1.0f); return {};
    case DType::kBFloat16: *static_cast<uint16_t*>(dst) = float_to_bfloat16(1.0f); return {};
    default:
      return dispatch_numeric(t, [&](auto tag) -> Status {
        using T = decltype(tag);
        *static_cast<T*>(dst) = T(1);
        return {};
      });
  }
}

Status read_optional_ints(const KernelContext& ctx, size_t index, const char* what,
                          std::vector<int64_t>* out, bool* present) {
  const Tensor* t = ctx.input(index);
  *present = t != nullptr && t->defined();
  if (!*present) return {};
  if (t->rank() > 1) return ctx.error(std::string(what) + " must be a 1-D tensor, got shape " + shape_to_string(t->shape()));
  auto v = read_int_list(*t);
  if (!v.ok()) return ctx.error(std::string(what) + ": " + v.status().message());
  *out = std::move(*v);
  return {};
}

Status normalize_axes(const KernelContext& ctx, std::vector<int64_t>& axes, int64_t rank) {
  for (int64_t& a : axes) {
    if (a < -rank || a >= rank)
      return ctx.error("axis " + std::to_string(a) + " is out of range for rank " + std::to_string(rank));
    if (a < 0) a += rank;
  }
  std::vector<int64_t> sorted = axes;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
    return ctx.error("axes " + ints_to_string(axes) + " contain a duplicate");
  return {};
}

std::string ints_to_string(std::span<const int64_t> v) { return shape_to_string(v); }

}  // namespace edgeq::kernels::ref
