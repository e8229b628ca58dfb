// Core scheduler: N accelerator cores, one worker thread per core, frames queued to a
// core or to whichever core is idle first (DESIGN §6).
//
//   SchedulerOptions so;
//   so.num_cores = 2;          // two workers
//   so.cpus_per_core = 1;      // Program::options.core_num: CPUs one frame spreads over
//   EDGEQ_ASSIGN_OR_RETURN(auto sched, Scheduler::create(so));
//   auto task = sched->submit(/*core_id=*/0, [&](int core) { return instances[core]->run(); });
//   EDGEQ_RETURN_IF_ERROR(task->wait());
//
// Core k (1-based) is served by worker k-1, pinned to CPUs [(k-1)·c, k·c) of the CPUs this
// process may use (c = cpus_per_core; taken modulo their number when there are more cores
// than CPUs), with its OpenMP thread count set to c before any job runs. A job receives the
// 0-based core index and runs on that core's worker, so a job that touches only that
// core's state (its Instance) needs no locking. core_id 0 puts the job on a queue shared by
// all workers; a worker takes its own queue first, then the shared one, each in FIFO order.
// Destroying the scheduler lets every queued job run to completion, then joins the workers;
// a submit after shutdown started fails at once with a status.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "base/status.h"

namespace edgeq::runtime {

struct SchedulerOptions {
  int num_cores = 0;      // 0: default_num_cores(cpus_per_core)
  int cpus_per_core = 1;  // threads (and CPUs) one frame uses
  bool pin = true;        // pthread_setaffinity_np each worker to its CPUs
};

// EDGEQ_CORES when set to a positive integer, else max(1, usable CPUs / cpus_per_core).
int default_num_cores(int cpus_per_core);
// The CPUs this process may run on (sched_getaffinity), in increasing order.
std::vector<int> usable_cpus();

// One queued frame: its job, and its completion state once a worker ran it.
class Task {
 public:
  using Job = std::function<Status(int core_index)>;
  explicit Task(Job job) : job_(std::move(job)) {}

  // Blocks until the job ran; returns its status.
  Status wait();
  // false if the job has not finished within `timeout`.
  bool wait_for(std::chrono::milliseconds timeout);
  bool done() const;
  // The job's status; only meaningful once done().
  Status status() const;
  // The 0-based core the job ran on (-1 before it ran).
  int core_index() const;

 private:
  friend class Scheduler;
  void finish(Status s, int core_index);

  Job job_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  Status status_;
  int core_index_ = -1;
};

class Scheduler {
 public:
  static StatusOr<std::unique_ptr<Scheduler>> create(const SchedulerOptions& options);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  int num_cores() const { return static_cast<int>(workers_.size()); }
  int cpus_per_core() const { return cpus_per_core_; }
  // The CPUs core k (0-based index) is pinned to; empty when pinning is off or failed.
  std::vector<int> core_cpus(int core_index) const;

  // core_id 0: any idle core; 1..num_cores(): that core. An out-of-range core_id or a
  // scheduler shutting down gives a task that is already done with an error status.
  std::shared_ptr<Task> submit(int core_id, Task::Job job);
  // submit + wait.
  Status run(int core_id, Task::Job job) { return submit(core_id, std::move(job))->wait(); }

 private:
  Scheduler() = default;
  void worker_main(int core_index);

  int cpus_per_core_ = 1;
  std::vector<std::vector<int>> cpus_;  // per core
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::deque<std::shared_ptr<Task>> shared_queue_;
  std::vector<std::deque<std::shared_ptr<Task>>> core_queues_;
  std::vector<std::thread> workers_;
};

}  // namespace edgeq::runtime
