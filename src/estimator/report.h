// The files `edgeq perf` writes: <dir>/<prefix>/<prefix>.{html,json,svg,png} — the summary,
// the per-segment and per-op tables (the HTML sorts them by any column), and the picture.
//
//   EDGEQ_ASSIGN_OR_RETURN(estimator::ReportFiles f,
//                          estimator::write_report(program, estimate, "perf_result", "resnet50"));
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "estimator/estimate.h"
#include "estimator/graph_picture.h"
#include "format/program.h"

namespace edgeq::estimator {

struct ReportFiles {
  std::string dir, html, json, svg, png;
};

StatusOr<ReportFiles> write_report(const format::Program& program, const Estimate& estimate,
                                   const std::string& output_dir, const std::string& prefix,
                                   const PictureOptions& picture = {});

// The HTML page alone; `svg` is inlined (its XML prolog dropped).
std::string to_html(const Estimate& estimate, const std::string& svg);

// The text `edgeq perf` prints: latency, FPS, traffic, arena and the ten costliest ops.
std::string summary_text(const Estimate& estimate);

}  // namespace edgeq::estimator
