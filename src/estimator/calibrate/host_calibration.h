// Measures the `host` target profile: runs the runtime's own kernels (one-op programs
// through runtime::Executable / Instance) over a grid of shapes and fits the profile's
// peaks, bandwidths, overheads and efficiency curves to the timings. Separate from the
// estimator library, which never runs anything.
//
//   estimator::CalibrationOptions opt;
//   EDGEQ_ASSIGN_OR_RETURN(estimator::TargetProfile host, estimator::calibrate_host(opt));
//   write host with estimator::profile_to_json to estimator::default_host_profile_path()
#pragma once

#include <functional>
#include <string>

#include "base/status.h"
#include "estimator/target_profile.h"

namespace edgeq::estimator {

struct CalibrationOptions {
  int runs = 15;        // timed frames per benchmark (the median is kept)
  int warmup = 3;
  int core_count = 0;   // 0: the online cores (EDGEQ_CORES overrides)
  bool quick = false;   // a smaller grid (tests)
  std::function<void(const std::string&)> progress;  // one line per benchmark
};

StatusOr<TargetProfile> calibrate_host(const CalibrationOptions& options);

}  // namespace edgeq::estimator
