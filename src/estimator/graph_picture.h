// The picture of a compiled model, drawn with Graphviz: accelerator ops dark blue, CPU ops
// grey, the head/tail ops fast-perf cut away dashed, edges labelled with tensor shapes.
// Past `max_op_nodes` ops the picture shows blocks of consecutive ops of one segment
// instead, so a large model stays legible.
//
//   std::string dot = estimator::to_dot(program, estimate);
//   EDGEQ_RETURN_IF_ERROR(estimator::render_dot(dot, {{"svg", "m.svg", {}}, {"png", "m.png", {}}}));
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

// Node count of the picture to_dot draws (ops, or blocks of ops).
int picture_nodes(const Estimate& estimate, const PictureOptions& options = {});

struct DotOutput {
  std::string format;             // "svg", "png"
  std::string path;
  std::vector<std::string> args;  // more dot flags, e.g. "-Gdpi=72"
};

// Runs Graphviz's `dot` (from PATH, or $EDGEQ_DOT) once per output, all at once. Fails
// with one sentence when dot is missing or fails.
Status render_dot(const std::string& dot_text, const std::vector<DotOutput>& outputs);

}  // namespace edgeq::estimator
