#include "runtime/scheduler.h"

#include <omp.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <cstdlib>
#include <exception>
#include <string>

namespace edgeq::runtime {

std::vector<int> usable_cpus() {
  std::vector<int> cpus;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &set)) cpus.push_back(c);
  }
  if (cpus.empty()) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    for (int c = 0; c < (n > 0 ? n : 1); ++c) cpus.push_back(c);
  }
  return cpus;
}

int default_num_cores(int cpus_per_core) {
  if (const char* env = std::getenv("EDGEQ_CORES")) {
    char* end = nullptr;
    long v = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && v > 0 && v <= 1024) return static_cast<int>(v);
  }
  int cpus = static_cast<int>(usable_cpus().size());
  int per = cpus_per_core > 0 ? cpus_per_core : 1;
  return cpus / per > 0 ? cpus / per : 1;
}

// ---- Task ------------------------------------------------------------------------------

void Task::finish(Status s, int core_index) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    status_ = std::move(s);
    core_index_ = core_index;
    done_ = true;
    job_ = nullptr;  // drop captured state (buffers, references) as soon as possible
  }
  cv_.notify_all();
}

Status Task::wait() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return done_; });
  return status_;
}

bool Task::wait_for(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return done_; });
}

bool Task::done() const {
  std::lock_guard<std::mutex> lock(mu_);
  return done_;
}

Status Task::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

int Task::core_index() const {
  std::lock_guard<std::mutex> lock(mu_);
  return core_index_;
}

// ---- Scheduler -------------------------------------------------------------------------

StatusOr<std::unique_ptr<Scheduler>> Scheduler::create(const SchedulerOptions& options) {
  if (options.cpus_per_core < 1)
    return invalid_argument("cpus_per_core must be at least 1, got " + std::to_string(options.cpus_per_core) + ".");
  if (options.num_cores < 0 || options.num_cores > 1024)
    return invalid_argument("The number of cores must be in 0..1024, got " + std::to_string(options.num_cores) + ".");
  std::unique_ptr<Scheduler> s(new Scheduler());
  s->cpus_per_core_ = options.cpus_per_core;
  int n = options.num_cores > 0 ? options.num_cores : default_num_cores(options.cpus_per_core);
  std::vector<int> cpus = usable_cpus();
  s->cpus_.resize(n);
  if (options.pin) {
    for (int k = 0; k < n; ++k)
      for (int j = 0; j < options.cpus_per_core; ++j)
        s->cpus_[k].push_back(cpus[(static_cast<size_t>(k) * options.cpus_per_core + j) % cpus.size()]);
  }
  s->core_queues_.resize(n);
  try {
    for (int k = 0; k < n; ++k) s->workers_.emplace_back(&Scheduler::worker_main, s.get(), k);
  } catch (const std::exception& e) {
    // The destructor joins the workers already started.
    return internal_error(std::string("Cannot start the core worker threads: ") + e.what() + ".");
  }
  return s;
}

Scheduler::~Scheduler() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& w : workers_)
    if (w.joinable()) w.join();
  // Nothing is left in the queues: a worker leaves only when its own queue and the shared
  // queue are empty, and the last worker to leave has seen the shared queue empty.
}

std::vector<int> Scheduler::core_cpus(int core_index) const {
  if (core_index < 0 || core_index >= static_cast<int>(cpus_.size())) return {};
  return cpus_[core_index];
}

std::shared_ptr<Task> Scheduler::submit(int core_id, Task::Job job) {
  auto task = std::make_shared<Task>(std::move(job));
  if (core_id < 0 || core_id > num_cores()) {
    task->finish(invalid_argument("core_id " + std::to_string(core_id) + " is out of range: this model has " +
                                  std::to_string(num_cores()) + " core(s), use 0 (any) or 1.." +
                                  std::to_string(num_cores()) + "."),
                 -1);
    return task;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) {
      task->finish(internal_error("The model is being released; the frame was not run."), -1);
      return task;
    }
    if (core_id == 0) shared_queue_.push_back(task);
    else core_queues_[core_id - 1].push_back(task);
  }
  // One condition variable for all workers: a frame for core k must wake worker k.
  cv_.notify_all();
  return task;
}

void Scheduler::worker_main(int core_index) {
  const std::vector<int>& cpus = cpus_[core_index];
  if (!cpus.empty()) {
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int c : cpus) CPU_SET(c, &set);
    // Best effort: a container may forbid it; the frame still runs, only unpinned.
    pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
  }
  omp_set_num_threads(cpus_per_core_);
  std::deque<std::shared_ptr<Task>>& own = core_queues_[core_index];
  for (;;) {
    std::shared_ptr<Task> task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !own.empty() || !shared_queue_.empty(); });
      if (!own.empty()) {
        task = std::move(own.front());
        own.pop_front();
      } else if (!shared_queue_.empty()) {
        task = std::move(shared_queue_.front());
        shared_queue_.pop_front();
      } else {
        return;  // stopping, nothing left for this core
      }
    }
    Status s;
    try {
      s = task->job_(core_index);
    } catch (const std::exception& e) {
      s = internal_error(std::string("A frame failed with an exception: ") + e.what() + ".");
    } catch (...) {
      s = internal_error("A frame failed with an unknown exception.");
    }
    task->finish(std::move(s), core_index);
  }
}

}  // namespace edgeq::runtime
