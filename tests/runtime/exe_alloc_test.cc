// Instance::run allocates nothing on the heap in accelerator ops: every global operator new
// during a frame is counted (this binary replaces it; the oneDNN library's own C++
// allocations resolve to it too).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>

#include "runtime/executable.h"
#include "tests/runtime/exe_testing.h"

namespace {
std::atomic<long> g_news{0};
std::atomic<bool> g_counting{false};
}  // namespace

void* operator new(std::size_t n) {
  if (g_counting.load(std::memory_order_relaxed)) g_news.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
// The nothrow forms too (std::stable_sort's temporary buffer uses them): every new of this
// binary must come from malloc, as every delete goes to free.
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  if (g_counting.load(std::memory_order_relaxed)) g_news.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace edgeq::runtime {
namespace {

long news_in_one_frame(Instance& inst) {
  EXPECT_TRUE(inst.run().ok());  // first frame: lazy one-time setup inside libraries
  g_news = 0;
  g_counting = true;
  const Status s = inst.run();
  g_counting = false;
  EXPECT_TRUE(s.ok());
  return g_news.load();
}

// edgeq's own int8 loops: no allocation at all.
TEST(Allocation, OwnKernelsAllocateNothing) {
  using testing::Layout;
  testing::ProgramBuilder b;
  const kernels::int8::QParam q{0.05f, 7}, q2{0.07f, 100};
  const int x = b.act("x", {1, 32, 14, 14}, Layout::kNHWC, q);
  const int s = b.act("s", {1, 32, 1, 1}, Layout::kNHWC, q2);
  const int m = b.act("m", {1, 32, 14, 14}, Layout::kNHWC, q2);
  const int l = b.act("l", {1, 32, 14, 14}, Layout::kNHWC, q);
  const int c = b.act("c", {1, 64, 14, 14}, Layout::kNHWC, q);
  const int g = b.act("g", {1, 64, 1, 1}, Layout::kNHWC, q2);
  const int p = b.act("p", {1, 64, 14, 14}, Layout::kPlain, q);
  const int a = b.act("a", {1, 64, 7, 7}, Layout::kPlain, q);
  std::vector<uint8_t> table(256);
  for (int i = 0; i < 256; ++i) table[static_cast<size_t>(i)] = static_cast<uint8_t>(255 - i);
  b.op("QMul", {x, s}, {m});
  b.op("QLut", {m, b.constant<uint8_t>("t", {256}, table)}, {l});
  Attributes axis;
  axis.set("axis", int64_t{1});
  b.op("QConcat", {x, l}, {c}, axis);
  b.op("QGlobalAveragePool", {c}, {g});
  Attributes to;
  to.set("to_layout", std::string("NCHW"));
  b.op("Reorder", {c}, {p}, to);
  Attributes w;
  w.set("kernel_shape", std::vector<int64_t>{2, 2});
  w.set("strides", std::vector<int64_t>{2, 2});
  b.op("QAveragePool", {p}, {a}, w);
  auto exe = Executable::create(b.finish({x, s}, {g, a}));
  ASSERT_TRUE(exe.ok()) << exe.status().message();
  auto inst = Instance::create(*exe);
  ASSERT_TRUE(inst.ok());
  EXPECT_EQ(news_in_one_frame(**inst), 0) << "operator new calls in one frame";
}

// oneDNN 2.6 builds an execution context (argument maps) inside every primitive
// execution; that is all a oneDNN op allocates per frame.
TEST(Allocation, OnednnOpsAllocateOnlyTheirExecutionContext) {
  auto exe = Executable::create(testing::mobilenet_v2_program());
  ASSERT_TRUE(exe.ok()) << exe.status().message();
  auto inst = Instance::create(*exe);
  ASSERT_TRUE(inst.ok());
  int primitives = 0;
  for (const std::string& k : (*exe)->kernel_names()) primitives += k.find("onednn") != std::string::npos;
  const long news = news_in_one_frame(**inst);
  EXPECT_LE(news, 8L * primitives) << primitives << " oneDNN primitives";
  std::printf("operator new calls per frame: %ld for %d oneDNN primitives\n", news, primitives);
}

}  // namespace
}  // namespace edgeq::runtime
