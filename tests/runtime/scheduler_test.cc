// The core scheduler with fake frames (jobs that record where and how they ran).
#include "runtime/scheduler.h"

#include <gtest/gtest.h>
#include <omp.h>
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <stdexcept>

namespace edgeq::runtime {
namespace {

std::unique_ptr<Scheduler> make(int cores, int cpus_per_core = 1) {
  SchedulerOptions o;
  o.num_cores = cores;
  o.cpus_per_core = cpus_per_core;
  auto s = Scheduler::create(o);
  EXPECT_TRUE(s.ok()) << s.status().message();
  return std::move(s).value();
}

// Blocks jobs until released; a failed test never hangs (5 s bound, not a timing check).
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  int arrived = 0;
  bool wait_open() {
    std::unique_lock<std::mutex> l(mu);
    ++arrived;
    cv.notify_all();
    return cv.wait_for(l, std::chrono::seconds(5), [&] { return open; });
  }
  bool wait_arrived(int n) {
    std::unique_lock<std::mutex> l(mu);
    return cv.wait_for(l, std::chrono::seconds(5), [&] { return arrived >= n; });
  }
  void release() {
    std::lock_guard<std::mutex> l(mu);
    open = true;
    cv.notify_all();
  }
};

TEST(Scheduler, PinnedCoreIdRunsOnThatCore) {
  auto s = make(3);
  ASSERT_EQ(s->num_cores(), 3);
  for (int k = 1; k <= 3; ++k) {
    auto t = s->submit(k, [](int) { return Status(); });
    ASSERT_TRUE(t->wait().ok());
    EXPECT_EQ(t->core_index(), k - 1);
  }
}

TEST(Scheduler, OutOfRangeCoreIdFailsWithASentence) {
  auto s = make(2);
  bool ran = false;
  for (int id : {-1, 3, 100}) {
    Status st = s->run(id, [&](int) { ran = true; return Status(); });
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(st.message().find("out of range"), std::string::npos) << st.message();
  }
  EXPECT_FALSE(ran);
}

TEST(Scheduler, AnyCoreFramesRunConcurrentlyOnDifferentCores) {
  auto s = make(2);
  Gate gate;
  std::atomic<int> core_mask{0};
  auto job = [&](int core) {
    core_mask |= 1 << core;
    return gate.wait_open() ? Status() : internal_error("gate timed out");
  };
  auto a = s->submit(0, job);
  auto b = s->submit(0, job);
  // Both frames are in flight at once: each is held by the gate on its own core.
  EXPECT_TRUE(gate.wait_arrived(2));
  gate.release();
  EXPECT_TRUE(a->wait().ok());
  EXPECT_TRUE(b->wait().ok());
  EXPECT_EQ(core_mask.load(), 3);
  EXPECT_NE(a->core_index(), b->core_index());
}

TEST(Scheduler, BusyCoreDoesNotBlockOtherCores) {
  auto s = make(2);
  Gate gate;
  auto blocker = s->submit(1, [&](int) { return gate.wait_open() ? Status() : internal_error("timeout"); });
  ASSERT_TRUE(gate.wait_arrived(1));
  // Core 1 is busy: an any-core frame and a core-2 frame both run on core 2 meanwhile.
  auto any = s->submit(0, [](int) { return Status(); });
  ASSERT_TRUE(any->wait_for(std::chrono::seconds(5)));
  EXPECT_EQ(any->core_index(), 1);
  auto second = s->submit(2, [](int) { return Status(); });
  ASSERT_TRUE(second->wait_for(std::chrono::seconds(5)));
  EXPECT_FALSE(blocker->done());
  EXPECT_FALSE(blocker->wait_for(std::chrono::milliseconds(1)));
  gate.release();
  EXPECT_TRUE(blocker->wait().ok());
}

TEST(Scheduler, WorkersArePinnedAndUseCoreNumThreads) {
  std::vector<int> cpus = usable_cpus();
  ASSERT_FALSE(cpus.empty());
  auto s = make(2, 2);
  for (int k = 1; k <= 2; ++k) {
    std::vector<int> seen;
    int threads = 0;
    ASSERT_TRUE(s->run(k, [&](int) {
                   cpu_set_t set;
                   CPU_ZERO(&set);
                   pthread_getaffinity_np(pthread_self(), sizeof(set), &set);
                   for (int c = 0; c < CPU_SETSIZE; ++c)
                     if (CPU_ISSET(c, &set)) seen.push_back(c);
                   threads = omp_get_max_threads();
                   return Status();
                 }).ok());
    EXPECT_EQ(threads, 2);
    std::vector<int> want = s->core_cpus(k - 1);
    ASSERT_EQ(want.size(), 2u);
    std::sort(want.begin(), want.end());
    want.erase(std::unique(want.begin(), want.end()), want.end());
    EXPECT_EQ(seen, want) << "core " << k;
  }
}

TEST(Scheduler, ShutdownRunsEveryQueuedFrame) {
  std::atomic<int> ran{0};
  std::vector<std::shared_ptr<Task>> tasks;
  {
    auto s = make(2);
    for (int i = 0; i < 60; ++i)
      tasks.push_back(s->submit(i % 3, [&](int) { ++ran; return Status(); }));
  }  // the destructor drains the queues
  EXPECT_EQ(ran.load(), 60);
  for (auto& t : tasks) {
    EXPECT_TRUE(t->done());
    EXPECT_TRUE(t->status().ok());
  }
}

TEST(Scheduler, JobErrorsAndExceptionsBecomeStatuses) {
  auto s = make(1);
  Status a = s->run(1, [](int) { return invalid_argument("bad frame."); });
  EXPECT_EQ(a.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(a.message(), "bad frame.");
  Status b = s->run(0, [](int) -> Status { throw std::runtime_error("boom"); });
  EXPECT_EQ(b.code(), StatusCode::kInternal);
  EXPECT_NE(b.message().find("boom"), std::string::npos);
  EXPECT_TRUE(s->run(1, [](int) { return Status(); }).ok());  // the worker survived
}

TEST(Scheduler, DefaultCoresFollowEdgeqCoresAndCoreNum) {
  ::unsetenv("EDGEQ_CORES");
  int cpus = static_cast<int>(usable_cpus().size());
  EXPECT_EQ(default_num_cores(1), cpus);
  EXPECT_EQ(default_num_cores(2), std::max(1, cpus / 2));
  EXPECT_EQ(default_num_cores(1000), 1);
  ::setenv("EDGEQ_CORES", "5", 1);
  EXPECT_EQ(default_num_cores(1), 5);
  ::setenv("EDGEQ_CORES", "zero", 1);
  EXPECT_EQ(default_num_cores(1), cpus);
  ::unsetenv("EDGEQ_CORES");
  SchedulerOptions bad;
  bad.cpus_per_core = 0;
  EXPECT_EQ(Scheduler::create(bad).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace edgeq::runtime
