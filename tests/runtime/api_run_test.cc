// C API and C++ wrapper: runs (sync, async, concurrent on several cores), run argument
// checks, clean release with frames in flight, profiling JSON.
#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "edgeq/runtime.h"
#include "edgeq/runtime.hpp"
#include "tests/runtime/api_fixture.h"

namespace edgeq::testing_api {
namespace {

std::string path() {
  static const std::string p = write_program(lut_program(), "lut_pair_run.bin");
  return p;
}

edgeq_model* load(int cores) {
  edgeq_load_options o{cores};
  edgeq_model* m = nullptr;
  EXPECT_EQ(edgeq_model_load(path().c_str(), &o, &m), EDGEQ_OK) << edgeq_last_error();
  return m;
}

std::vector<uint8_t> frame(uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(kElems);
  for (auto& b : v) b = static_cast<uint8_t>(rng() >> 24);
  v[0] = 255;  // the saturating end of the table
  return v;
}

void expect_output(const std::vector<uint8_t>& in, const std::vector<uint8_t>& out, const std::string& where) {
  for (int i = 0; i < kElems; ++i) ASSERT_EQ(out[i], expected(in[i])) << where << " element " << i;
}

TEST(ApiRun, SyncRunOnEveryCoreAndAnyCore) {
  edgeq_model* m = load(2);
  ASSERT_NE(m, nullptr);
  for (int core = 0; core <= 2; ++core) {
    std::vector<uint8_t> in = frame(core), out(kElems, 0);
    edgeq_buffer ib{in.data(), in.size()}, ob{out.data(), out.size()};
    edgeq_run_options o = EDGEQ_RUN_OPTIONS_INIT;
    o.core_id = core;
    ASSERT_EQ(edgeq_run(m, &ib, 1, &ob, 1, &o), EDGEQ_OK) << edgeq_last_error();
    expect_output(in, out, "core " + std::to_string(core));
  }
  edgeq_model_release(m);
}

TEST(ApiRun, ConcurrentThreadsOnSeveralCoresGiveTheSameOutputs) {
  edgeq_model* m = load(3);
  ASSERT_NE(m, nullptr);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int f = 0; f < 40; ++f) {
        std::vector<uint8_t> in = frame(t * 1000 + f), out(kElems, 0);
        edgeq_buffer ib{in.data(), in.size()}, ob{out.data(), out.size()};
        edgeq_run_options o = EDGEQ_RUN_OPTIONS_INIT;
        o.core_id = (t + f) % 4;  // 0 (any) and 1..3
        if (edgeq_run(m, &ib, 1, &ob, 1, &o) != EDGEQ_OK) ++failures;
        for (int i = 0; i < kElems; ++i)
          if (out[i] != expected(in[i])) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  edgeq_model_release(m);
}

TEST(ApiRun, AsyncRunsAndWait) {
  edgeq_model* m = load(2);
  ASSERT_NE(m, nullptr);
  const int n = 24;
  std::vector<std::vector<uint8_t>> ins(n), outs(n, std::vector<uint8_t>(kElems));
  std::vector<edgeq_buffer> ib(n), ob(n);
  std::vector<edgeq_task*> tasks(n, nullptr);
  for (int i = 0; i < n; ++i) {
    ins[i] = frame(500 + i);
    ib[i] = {ins[i].data(), ins[i].size()};
    ob[i] = {outs[i].data(), outs[i].size()};
    edgeq_run_options o = EDGEQ_RUN_OPTIONS_INIT;
    o.core_id = i % 3;
    ASSERT_EQ(edgeq_run_async(m, &ib[i], 1, &ob[i], 1, &o, &tasks[i]), EDGEQ_OK) << edgeq_last_error();
  }
  for (int i = 0; i < n; ++i) {
    ASSERT_EQ(edgeq_task_wait(tasks[i], -1), EDGEQ_OK) << edgeq_last_error();
    EXPECT_EQ(edgeq_task_wait(tasks[i], 0), EDGEQ_OK);  // a finished task stays finished
    expect_output(ins[i], outs[i], "task " + std::to_string(i));
    edgeq_task_release(tasks[i]);
  }
  EXPECT_EQ(edgeq_task_wait(nullptr, -1), EDGEQ_ERROR_INVALID_ARGUMENT);
  edgeq_model_release(m);
}

TEST(ApiRun, ReleaseWithFramesInFlightFinishesThem) {
  edgeq_model* m = load(1);
  ASSERT_NE(m, nullptr);
  const int n = 16;
  std::vector<std::vector<uint8_t>> ins(n), outs(n, std::vector<uint8_t>(kElems));
  std::vector<edgeq_buffer> ib(n), ob(n);
  std::vector<edgeq_task*> tasks(n, nullptr);
  for (int i = 0; i < n; ++i) {
    ins[i] = frame(900 + i);
    ib[i] = {ins[i].data(), ins[i].size()};
    ob[i] = {outs[i].data(), outs[i].size()};
    ASSERT_EQ(edgeq_run_async(m, &ib[i], 1, &ob[i], 1, nullptr, &tasks[i]), EDGEQ_OK);
  }
  edgeq_model_release(m);  // the queued frames run before the cores go away
  for (int i = 0; i < n; ++i) {
    EXPECT_EQ(edgeq_task_wait(tasks[i], 0), EDGEQ_OK) << edgeq_last_error();
    expect_output(ins[i], outs[i], "task " + std::to_string(i));
    edgeq_task_release(tasks[i]);
  }
}

TEST(ApiRun, ArgumentChecks) {
  edgeq_model* m = load(2);
  ASSERT_NE(m, nullptr);
  std::vector<uint8_t> in(kElems), out(kElems), small(kElems - 1);
  edgeq_buffer ib{in.data(), in.size()}, ob{out.data(), out.size()};
  edgeq_run_options o = EDGEQ_RUN_OPTIONS_INIT;
  auto expect_invalid = [&](edgeq_status s, const std::string& words) {
    EXPECT_EQ(s, EDGEQ_ERROR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(edgeq_last_error()).find(words), std::string::npos) << edgeq_last_error();
  };
  expect_invalid(edgeq_run(nullptr, &ib, 1, &ob, 1, &o), "NULL");
  expect_invalid(edgeq_run(m, &ib, 2, &ob, 1, &o), "1 inputs, but 2");
  expect_invalid(edgeq_run(m, &ib, 1, &ob, 0, &o), "1 outputs, but 0");
  expect_invalid(edgeq_run(m, nullptr, 1, &ob, 1, &o), "NULL");
  edgeq_buffer short_in{small.data(), small.size()};
  expect_invalid(edgeq_run(m, &short_in, 1, &ob, 1, &o), "15 bytes; the model needs 16");
  edgeq_buffer null_out{nullptr, kElems};
  expect_invalid(edgeq_run(m, &ib, 1, &null_out, 1, &o), "NULL");
  for (int bad : {-1, 3, 99}) {
    o.core_id = bad;
    expect_invalid(edgeq_run(m, &ib, 1, &ob, 1, &o), "out of range");
  }
  o.core_id = 3;
  edgeq_task* t = reinterpret_cast<edgeq_task*>(0x1);
  expect_invalid(edgeq_run_async(m, &ib, 1, &ob, 1, &o, &t), "core_id 3");
  EXPECT_EQ(t, nullptr);
  expect_invalid(edgeq_run_async(m, &ib, 1, &ob, 1, nullptr, nullptr), "NULL");
  edgeq_model_release(m);
}

TEST(ApiRun, ProfilingJsonAggregatesFrames) {
  edgeq_model* m = load(2);
  ASSERT_NE(m, nullptr);
  ASSERT_EQ(edgeq_model_set_profiling(m, 1), EDGEQ_OK);
  std::vector<uint8_t> in = frame(1), out(kElems);
  edgeq_buffer ib{in.data(), in.size()}, ob{out.data(), out.size()};
  for (int f = 0; f < 5; ++f) {
    edgeq_run_options o = EDGEQ_RUN_OPTIONS_INIT;
    o.core_id = f % 3;
    ASSERT_EQ(edgeq_run(m, &ib, 1, &ob, 1, &o), EDGEQ_OK);
  }
  auto j = nlohmann::json::parse(edgeq_model_profile_json(m));
  EXPECT_EQ(j["frames"], 5);
  ASSERT_EQ(j["ops"].size(), 2u);
  ASSERT_EQ(j["segments"].size(), 1u);
  for (const auto& op : j["ops"]) {
    EXPECT_EQ(op["count"], 5);
    EXPECT_EQ(op["type"], "QLut");
    EXPECT_EQ(op["segment"], 0);
    EXPECT_LE(op["min_ms"].get<double>(), op["avg_ms"].get<double>() + 1e-9);
    EXPECT_LE(op["avg_ms"].get<double>(), op["max_ms"].get<double>() + 1e-9);
    EXPECT_GE(op["min_ms"].get<double>(), 0.0);
  }
  EXPECT_EQ(j["ops"][0]["name"], "lut_plus_one");
  EXPECT_EQ(j["segments"][0]["count"], 5);
  EXPECT_EQ(j["segments"][0]["placement"], "accelerator");
  // Off: frames are no longer counted; on again: a new measurement from zero.
  ASSERT_EQ(edgeq_model_set_profiling(m, 0), EDGEQ_OK);
  ASSERT_EQ(edgeq_run(m, &ib, 1, &ob, 1, nullptr), EDGEQ_OK);
  EXPECT_EQ(nlohmann::json::parse(edgeq_model_profile_json(m))["frames"], 5);
  ASSERT_EQ(edgeq_model_set_profiling(m, 1), EDGEQ_OK);
  EXPECT_EQ(nlohmann::json::parse(edgeq_model_profile_json(m))["frames"], 0);
  edgeq_model_release(m);
}

TEST(ApiRun, EdgeqCoresSetsTheDefaultCoreCount) {
  ::setenv("EDGEQ_CORES", "3", 1);
  edgeq_model* m = load(0);
  ::unsetenv("EDGEQ_CORES");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(edgeq_model_num_cores(m), 3);
  edgeq_model_release(m);
}

TEST(ApiCpp, WrapperLoadsRunsAndReportsErrors) {
  auto bad = api::Model::load("/nonexistent/x.bin");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, EDGEQ_ERROR_BAD_FILE);
  EXPECT_NE(bad.error().message.find("/nonexistent/x.bin"), std::string::npos);

  auto model = api::Model::load(path(), 2);
  ASSERT_TRUE(model.ok()) << model.error().message;
  EXPECT_EQ(model->num_cores(), 2);
  EXPECT_EQ(model->input_desc(0).bytes, static_cast<size_t>(kElems));
  std::vector<uint8_t> in = frame(77), out(kElems), out2(kElems);
  api::Status s = model->run({{in.data(), in.size()}}, {{out.data(), out.size()}}, 2);
  ASSERT_TRUE(s.ok()) << s.message;
  expect_output(in, out, "sync");
  auto task = model->run_async({{in.data(), in.size()}}, {{out2.data(), out2.size()}});
  ASSERT_TRUE(task.ok()) << task.error().message;
  ASSERT_TRUE(task->wait().ok());
  expect_output(in, out2, "async");
  api::Status wrong = model->run({{in.data(), 3}}, {{out.data(), out.size()}});
  EXPECT_EQ(wrong.code, EDGEQ_ERROR_INVALID_ARGUMENT);
  EXPECT_FALSE(wrong.message.empty());
  api::Model moved = std::move(model.value());
  EXPECT_EQ(moved.num_inputs(), 1);
}

}  // namespace
}  // namespace edgeq::testing_api
