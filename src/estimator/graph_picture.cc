#include "estimator/graph_picture.h"

#include <spawn.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

extern char** environ;

namespace edgeq::estimator {
namespace {

using format::Placement;

// A DOT double-quoted string body: quotes and backslashes escaped; "\n" (two characters)
// in `s` is kept as DOT's line break.
std::string q(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\\' && i + 1 < s.size() && s[i + 1] == 'n') {
      out += "\\n";
      ++i;
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return "\"" + out + "\"";
}

std::string ms(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f ms", s * 1e3);
  return buf;
}

std::string node_style(Placement p) {
  return p == Placement::kAccelerator
             ? std::string("fillcolor=\"") + kAcceleratorColor + "\", fontcolor=\"white\""
             : std::string("fillcolor=\"") + kCpuColor + "\", fontcolor=\"black\"";
}

std::string tensor_label(const format::TensorDesc& t) {
  return shape_string(t.shape);
}

// Model inputs and outputs, with the head/tail ops cut away drawn dashed around them.
void write_io(std::ostringstream& o, const format::Program& p) {
  for (size_t i = 0; i < p.inputs.size(); ++i) {
    const format::IoDesc& io = p.inputs[i];
    std::string shape = io.tensor >= 0 && io.tensor < static_cast<int>(p.tensors.size())
                            ? tensor_label(p.tensors[io.tensor]) : "?";
    o << "  in" << i << " [shape=ellipse, style=\"\", label=" << q("input " + io.source_name + "\\n" + shape) << "];\n";
    std::string prev;
    for (size_t k = 0; k < io.removed_ops.size(); ++k) {
      std::string id = "in" + std::to_string(i) + "_cut" + std::to_string(k);
      o << "  " << id << " [style=\"dashed,rounded\", label=" << q(io.removed_ops[k] + "\\n(removed, done outside)") << "];\n";
      if (!prev.empty()) o << "  " << prev << " -> " << id << " [style=dashed];\n";
      prev = id;
    }
    if (!prev.empty()) o << "  " << prev << " -> in" << i << " [style=dashed];\n";
  }
  for (size_t i = 0; i < p.outputs.size(); ++i) {
    const format::IoDesc& io = p.outputs[i];
    std::string shape = io.tensor >= 0 && io.tensor < static_cast<int>(p.tensors.size())
                            ? tensor_label(p.tensors[io.tensor]) : "?";
    o << "  out" << i << " [shape=ellipse, style=\"\", label=" << q("output " + io.source_name + "\\n" + shape) << "];\n";
    std::string prev = "out" + std::to_string(i);
    for (size_t k = 0; k < io.removed_ops.size(); ++k) {
      std::string id = "out" + std::to_string(i) + "_cut" + std::to_string(k);
      o << "  " << id << " [style=\"dashed,rounded\", label=" << q(io.removed_ops[k] + "\\n(removed, done outside)") << "];\n";
      o << "  " << prev << " -> " << id << " [style=dashed];\n";
      prev = id;
    }
  }
}

// Node id of each op: one node per op, or one per block of ops.
struct Grouping {
  std::vector<int> node_of_op;
  struct Node {
    int first_op = 0, num_ops = 0, segment = 0;
    Placement placement = Placement::kAccelerator;
  };
  std::vector<Node> nodes;
};

Grouping group_ops(const Estimate& e, const PictureOptions& opt) {
  Grouping g;
  g.node_of_op.resize(e.ops.size());
  int total = static_cast<int>(e.ops.size());
  int block = 1;
  if (total > opt.max_op_nodes)
    block = std::max(1, (total + opt.max_block_nodes - 1) / std::max(opt.max_block_nodes, 1));
  for (const SegmentEstimate& s : e.segments) {
    for (int i = s.first_op; i < s.first_op + s.num_ops; i += block) {
      Grouping::Node n{i, std::min(block, s.first_op + s.num_ops - i), s.index, s.placement};
      for (int k = n.first_op; k < n.first_op + n.num_ops; ++k) g.node_of_op[k] = static_cast<int>(g.nodes.size());
      g.nodes.push_back(n);
    }
  }
  return g;
}

std::string node_label(const Estimate& e, const Grouping::Node& n) {
  if (n.num_ops == 1) {
    const OpEstimate& op = e.ops[n.first_op];
    return op.name + "\\n" + op.type + " · " + ms(op.time_s);
  }
  double t = 0;
  int top = n.first_op;
  for (int k = n.first_op; k < n.first_op + n.num_ops; ++k) {
    t += e.ops[k].time_s;
    if (e.ops[k].time_s > e.ops[top].time_s) top = k;
  }
  std::string where = n.placement == Placement::kAccelerator ? "accelerator" : "CPU";
  return "segment " + std::to_string(n.segment) + " (" + where + "): ops " + std::to_string(n.first_op) +
         "–" + std::to_string(n.first_op + n.num_ops - 1) + "\\n" + std::to_string(n.num_ops) + " ops · " +
         ms(t) + "\\ncostliest: " + e.ops[top].name;
}

// "n3", "in0", "out1"
std::string id(const char* prefix, size_t i) {
  std::string s(prefix);
  s += std::to_string(i);
  return s;
}

}  // namespace

std::string to_dot(const format::Program& p, const Estimate& e, const PictureOptions& opt) {
  std::ostringstream o;
  o << "digraph " << q(p.model_name.empty() ? "model" : p.model_name) << " {\n"
    << "  rankdir=TB;\n"
    << "  node [shape=box, style=\"filled,rounded\", fontname=\"Helvetica\", fontsize=10];\n"
    << "  edge [fontname=\"Helvetica\", fontsize=8, color=\"#555555\"];\n";
  write_io(o, p);
  Grouping g = group_ops(e, opt);
  for (size_t n = 0; n < g.nodes.size(); ++n)
    o << "  n" << n << " [" << node_style(g.nodes[n].placement) << ", label=" << q(node_label(e, g.nodes[n])) << "];\n";

  std::map<int32_t, int> producer;  // tensor → node
  for (size_t i = 0; i < e.ops.size(); ++i)
    for (int32_t t : p.ops[e.ops[i].index].outputs) producer[t] = g.node_of_op[i];
  std::map<int32_t, int> input_of;  // tensor → model input index
  for (size_t i = 0; i < p.inputs.size(); ++i) input_of[p.inputs[i].tensor] = static_cast<int>(i);

  std::set<std::tuple<std::string, std::string, int32_t>> edges;
  auto edge = [&](const std::string& from, const std::string& to, int32_t t) {
    if (from == to || !edges.insert({from, to, t}).second) return;
    std::string label = t >= 0 && t < static_cast<int32_t>(p.tensors.size()) ? tensor_label(p.tensors[t]) : "";
    o << "  " << from << " -> " << to << " [label=" << q(label) << "];\n";
  };
  for (size_t i = 0; i < e.ops.size(); ++i) {
    std::string to = id("n", g.node_of_op[i]);
    for (int32_t t : p.ops[e.ops[i].index].inputs) {
      if (t < 0 || t >= static_cast<int32_t>(p.tensors.size()) || p.tensors[t].is_constant) continue;
      if (auto it = producer.find(t); it != producer.end()) edge(id("n", it->second), to, t);
      else if (auto in = input_of.find(t); in != input_of.end()) edge(id("in", in->second), to, t);
    }
  }
  for (size_t i = 0; i < p.outputs.size(); ++i) {
    int32_t t = p.outputs[i].tensor;
    std::string to = id("out", i);
    if (auto it = producer.find(t); it != producer.end()) edge(id("n", it->second), to, t);
    else if (auto in = input_of.find(t); in != input_of.end()) edge(id("in", in->second), to, t);
  }
  o << "}\n";
  return o.str();
}

int picture_nodes(const Estimate& e, const PictureOptions& opt) {
  return static_cast<int>(group_ops(e, opt).nodes.size());
}

Status render_dot(const std::string& dot_text, const std::vector<DotOutput>& outputs) {
  namespace fs = std::filesystem;
  if (outputs.empty()) return {};
  std::string dot_path = outputs.front().path + ".dot.tmp";
  {
    std::ofstream f(dot_path, std::ios::binary);
    f << dot_text;
    if (!f) return io_error("cannot write " + dot_path + ".");
  }
  const char* env = std::getenv("EDGEQ_DOT");
  std::string dot = env && *env ? env : "dot";
  std::vector<pid_t> pids;
  Status status;
  for (const DotOutput& out : outputs) {
    std::vector<std::string> args = {dot, "-T" + out.format, "-o", out.path};
    args.insert(args.end(), out.args.begin(), out.args.end());
    args.push_back(dot_path);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    pid_t pid = 0;
    int rc = posix_spawnp(&pid, dot.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      status = not_found("Graphviz's " + dot + " cannot be started (" + std::strerror(rc) +
                         "); install the graphviz package.");
      break;
    }
    pids.push_back(pid);
  }
  for (size_t i = 0; i < pids.size(); ++i) {
    int ws = 0;
    while (waitpid(pids[i], &ws, 0) < 0 && errno == EINTR) {}
    if (status.ok() && (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0))
      status = internal_error("Graphviz's " + dot + " failed to draw " + outputs[i].path + ".");
  }
  std::error_code ec;
  fs::remove(dot_path, ec);
  return status;
}

}  // namespace edgeq::estimator
