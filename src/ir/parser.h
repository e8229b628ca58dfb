// Parses the text IR that ir::to_text prints, so tests can write graphs as text:
//
//   StatusOr<ir::Graph> g = ir::parse_text(R"(
//     graph tiny opset=13
//       input %x: f32[1,2]
//       init %w: f32[2,2] = [1, 2, 3, 4]
//       init %b: f32[2] = fill(0.5)
//       %m = MatMul(%x, %w) name=mm0 : f32[1,2]
//       %y = Add(%m, %b) : f32[1,2]
//       output %y
//   )");
//
// Beyond what to_text prints, the input may give initializer values (`= [..]` row-major,
// nesting brackets ignored, or `= fill(v)`; without either the tensor is zeros) and tensor
// attribute values (`{value=tensor f32[2]=[1,2]}`). Blank lines and lines starting with
// `//` or `#` are skipped. Attribute numbers with '.', 'e', inf or nan are floats, others
// ints; a list is float if any element is. Value names run to whitespace, ',' or ')' (a
// ':' ends a name only when followed by a space). The graph is not sorted or verified.
// Errors name the line: "line 4: expected '(' after the op type".
#pragma once

#include <string_view>

#include "base/status.h"
#include "ir/graph.h"

namespace edgeq::ir {

StatusOr<Graph> parse_text(std::string_view text);

}  // namespace edgeq::ir
