// The picture of a compiled model, drawn with Graphviz: accelerator ops dark blue, CPU ops
// grey, the head/tail ops fast-perf cut away dashed, edges labelled with tensor shapes.
// Past `max_op_nodes` ops the picture shows blocks of consecutive ops of one segment
// instead, so a large model stays legible.
//
//   std::string dot = estimator::to_dot(program, estimate);
//   EDGEQ_RETURN_IF_ERROR(estimator::render_dot(dot, {{"svg", "m.svg"}, {"png", "m.png"}}));
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "estimator/estimate.h"
#include "format/program.h"

namespace edgeq::estimator {

inline constexpr const char* kAcceleratorColor = "#0b2f6b";  // dark blue
inline constexpr const char* kCpuColor = "#a9a9a9";          // grey

struct PictureOptions {
  int max_op_nodes = 300;    // more ops than this: draw blocks of ops
  int max_block_nodes = 60;  // about this many blocks then
};

std::string to_dot(const format::Program& program, const Estimate& estimate,
                   const PictureOptions& options = {});

// Runs Graphviz's `dot` (from PATH, or $EDGEQ_DOT) once per (format, output path) pair,
// all at once. Fails with one sentence when dot is missing or fails.
Status render_dot(const std::string& dot_text,
                  const std::vector<std::pair<std::string, std::string>>& outputs);

}  // namespace edgeq::estimator
