#include "ir/parser.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

namespace edgeq::ir {
namespace {

// A number as written: kept both ways so i64 values survive exactly.
struct Number {
  double d = 0;
  int64_t i = 0;
  bool is_float = false;
};

// Reads one line of the text IR; every reader returns false and leaves a message in err_.
class LineParser {
 public:
  LineParser(std::string_view line, int line_no) : s_(line), line_no_(line_no) {}

  Status error(const std::string& msg) const {
    return invalid_argument("line " + std::to_string(line_no_) + ": " + msg);
  }
  void skip_space() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  bool at_end() {
    skip_space();
    return pos_ >= s_.size();
  }
  bool peek(char c) {
    skip_space();
    return pos_ < s_.size() && s_[pos_] == c;
  }
  bool consume(char c) {
    if (!peek(c)) return false;
    ++pos_;
    return true;
  }
  bool consume_word(std::string_view w) {
    skip_space();
    if (s_.substr(pos_, w.size()) != w) return false;
    size_t end = pos_ + w.size();
    if (end < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[end])) || s_[end] == '_')) return false;
    pos_ = end;
    return true;
  }
  // Letters, digits, '_', '.', '-' (op types, dtype names, attribute keys, symbols).
  std::string word() {
    skip_space();
    size_t start = pos_;
    while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_' ||
                                s_[pos_] == '.' || s_[pos_] == '-'))
      ++pos_;
    return std::string(s_.substr(start, pos_ - start));
  }
  // Text up to the next whitespace.
  std::string token() {
    skip_space();
    size_t start = pos_;
    while (pos_ < s_.size() && !std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    return std::string(s_.substr(start, pos_ - start));
  }
  // "%name" → name ("%" alone is the empty name of an absent output).
  bool value_name(std::string* out) {
    if (!consume('%')) return false;
    size_t start = pos_;
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (std::isspace(static_cast<unsigned char>(c)) || c == ',' || c == ')') break;
      if (c == ':' && (pos_ + 1 == s_.size() || std::isspace(static_cast<unsigned char>(s_[pos_ + 1])))) break;
      ++pos_;
    }
    *out = std::string(s_.substr(start, pos_ - start));
    return true;
  }
  bool number(Number* out) {
    skip_space();
    size_t start = pos_;
    while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '.' ||
                                s_[pos_] == '-' || s_[pos_] == '+'))
      ++pos_;
    std::string text(s_.substr(start, pos_ - start));
    if (text.empty()) return false;
    std::string lower;
    for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "true" || lower == "false") {
      out->i = lower == "true";
      out->d = static_cast<double>(out->i);
      out->is_float = false;
      return true;
    }
    out->is_float = lower.find_first_of(".ena") != std::string::npos;  // 1.5, 1e-05, inf, nan
    if (!out->is_float) {
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out->i);
      if (ec != std::errc() || p != text.data() + text.size()) return false;
      out->d = static_cast<double>(out->i);
      return true;
    }
    char* end = nullptr;
    out->d = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size()) return false;
    out->i = std::isfinite(out->d) ? static_cast<int64_t>(out->d) : 0;
    return true;
  }
  // "f32[1,batch,?]", "f32[*]", "?" (unknown). Returns false on a malformed type.
  bool value_type(std::optional<ValueInfo>* out) {
    skip_space();
    if (consume('?')) {
      out->reset();
      return true;
    }
    std::string name = word();
    auto dtype = name == "undef" ? std::optional<DType>(DType::kUndefined) : dtype_from_name(name);
    if (!dtype) return fail("unknown dtype '" + name + "'");
    ValueInfo info;
    info.dtype = *dtype;
    if (!consume('[')) return fail("expected '[' after the dtype");
    if (consume('*')) {
      if (!consume(']')) return fail("expected ']' after '*'");
      *out = info;
      return true;
    }
    Shape shape;
    if (!consume(']')) {
      do {
        skip_space();
        if (consume('?')) {
          shape.emplace_back();
          continue;
        }
        std::string d = word();
        if (d.empty()) return fail("expected a dimension");
        if (std::isdigit(static_cast<unsigned char>(d[0]))) {
          int64_t v = 0;
          auto [p, ec] = std::from_chars(d.data(), d.data() + d.size(), v);
          if (ec != std::errc() || p != d.data() + d.size()) return fail("bad dimension '" + d + "'");
          shape.emplace_back(v);
        } else {
          shape.emplace_back(d);
        }
      } while (consume(','));
      if (!consume(']')) return fail("expected ']' to close the shape");
    }
    info.shape = std::move(shape);
    *out = info;
    return true;
  }
  // "[1, 2, [3]]" (brackets nested freely, flattened) or "fill(v)"; appends to *values.
  bool tensor_values(std::vector<Number>* values, bool* fill) {
    *fill = false;
    if (consume_word("fill")) {
      Number n;
      if (!consume('(') || !number(&n) || !consume(')')) return fail("expected fill(<number>)");
      values->push_back(n);
      *fill = true;
      return true;
    }
    if (!peek('[')) return fail("expected '[' or fill(...) after '='");
    int depth = 0;
    do {
      while (consume('[')) ++depth;
      if (peek(']')) {
        while (depth > 0 && consume(']')) --depth;
        if (depth == 0) return true;
        continue;
      }
      Number n;
      if (!number(&n)) return fail("expected a number in the tensor values");
      values->push_back(n);
      while (depth > 0 && consume(']')) --depth;
    } while (depth > 0 && consume(','));
    if (depth != 0) return fail("unbalanced '[' in the tensor values");
    return true;
  }
  // '"' ... '"' (no escapes; to_text prints none).
  bool quoted_string(std::string* out) {
    if (!consume('"')) return false;
    size_t end = s_.find('"', pos_);
    if (end == std::string_view::npos) return fail("unterminated string");
    *out = std::string(s_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return true;
  }
  bool fail(std::string msg) {
    if (err_.empty()) err_ = std::move(msg);
    return false;
  }
  const std::string& err() const { return err_; }
  std::string rest() {
    skip_space();
    return std::string(s_.substr(pos_));
  }
  size_t pos() const { return pos_; }

 private:
  std::string_view s_;
  size_t pos_ = 0;
  int line_no_;
  std::string err_;
};

void set_element(Tensor& t, int64_t i, const Number& n) {
  switch (t.dtype()) {
    case DType::kFloat32: t.data<float>()[i] = static_cast<float>(n.d); break;
    case DType::kFloat64: t.data<double>()[i] = n.d; break;
    case DType::kFloat16: t.data<uint16_t>()[i] = float_to_half(static_cast<float>(n.d)); break;
    case DType::kBFloat16: t.data<uint16_t>()[i] = float_to_bfloat16(static_cast<float>(n.d)); break;
    case DType::kUInt8: t.data<uint8_t>()[i] = static_cast<uint8_t>(n.i); break;
    case DType::kInt8: t.data<int8_t>()[i] = static_cast<int8_t>(n.i); break;
    case DType::kUInt16: t.data<uint16_t>()[i] = static_cast<uint16_t>(n.i); break;
    case DType::kInt16: t.data<int16_t>()[i] = static_cast<int16_t>(n.i); break;
    case DType::kInt32: t.data<int32_t>()[i] = static_cast<int32_t>(n.i); break;
    case DType::kInt64: t.data<int64_t>()[i] = n.i; break;
    case DType::kUInt32: t.data<uint32_t>()[i] = static_cast<uint32_t>(n.i); break;
    case DType::kUInt64: t.data<uint64_t>()[i] = static_cast<uint64_t>(n.i); break;
    case DType::kBool: t.data<bool>()[i] = n.i != 0 || n.d != 0; break;
    default: break;
  }
}

// After "<dtype>[dims]" of an initializer or tensor attribute: optional "= values".
bool parse_tensor(LineParser& p, const ValueInfo& info, Tensor* out) {
  if (!info.shape) return p.fail("a tensor needs a shape, not [*]");
  auto dims = static_dims(*info.shape);
  if (!dims) return p.fail("a tensor needs a static shape");
  if (info.dtype == DType::kUndefined || info.dtype == DType::kString)
    return p.fail("tensors of dtype " + std::string(dtype_name(info.dtype)) + " cannot be written in the text IR");
  Tensor t(info.dtype, *dims);
  if (p.consume('=')) {
    std::vector<Number> values;
    bool fill = false;
    if (!p.tensor_values(&values, &fill)) return false;
    if (fill) {
      for (int64_t i = 0; i < t.numel(); ++i) set_element(t, i, values[0]);
    } else {
      if (static_cast<int64_t>(values.size()) != t.numel())
        return p.fail("the tensor has " + std::to_string(t.numel()) + " elements but " +
                      std::to_string(values.size()) + " values are given");
      for (int64_t i = 0; i < t.numel(); ++i) set_element(t, i, values[static_cast<size_t>(i)]);
    }
  }
  *out = std::move(t);
  return true;
}

// 1, 1.5, "s", [1,2], [0.5,1], ["a","b"], tensor f32[2]=[1,2]
bool parse_attribute_value(LineParser& p, AttributeValue* out) {
  if (p.peek('"')) {
    std::string str;
    if (!p.quoted_string(&str)) return false;
    *out = std::move(str);
    return true;
  }
  if (p.consume_word("tensor")) {
    std::optional<ValueInfo> info;
    if (!p.value_type(&info)) return false;
    if (!info) return p.fail("a tensor attribute needs a dtype and shape");
    Tensor t;
    if (!parse_tensor(p, *info, &t)) return false;
    *out = std::move(t);
    return true;
  }
  if (p.consume('[')) {
    if (p.consume(']')) {
      *out = std::vector<int64_t>{};
      return true;
    }
    if (p.peek('"')) {
      std::vector<std::string> strs;
      do {
        std::string str;
        if (!p.quoted_string(&str)) return p.fail("expected a quoted string in the list");
        strs.push_back(std::move(str));
      } while (p.consume(','));
      if (!p.consume(']')) return p.fail("expected ']' to close the list");
      *out = std::move(strs);
      return true;
    }
    std::vector<Number> nums;
    bool any_float = false;
    do {
      Number n;
      if (!p.number(&n)) return p.fail("expected a number in the list");
      any_float |= n.is_float;
      nums.push_back(n);
    } while (p.consume(','));
    if (!p.consume(']')) return p.fail("expected ']' to close the list");
    if (any_float) {
      std::vector<float> f;
      for (const Number& n : nums) f.push_back(static_cast<float>(n.d));
      *out = std::move(f);
    } else {
      std::vector<int64_t> v;
      for (const Number& n : nums) v.push_back(n.i);
      *out = std::move(v);
    }
    return true;
  }
  Number n;
  if (!p.number(&n)) return p.fail("expected an attribute value");
  if (n.is_float) *out = static_cast<float>(n.d);
  else *out = n.i;
  return true;
}

// "%a, %b = domain.Op(%x, none) {k=v, ...} name=n : f32[1] f32[2]"
bool parse_node(LineParser& p, Graph& g) {
  Node node;
  if (!p.peek('=')) {  // a node without outputs prints as "= Op(...)"
    do {
      std::string name;
      if (!p.value_name(&name)) return p.fail("expected '%name' for a node output");
      node.outputs.push_back(std::move(name));
    } while (p.consume(','));
  }
  if (!p.consume('=')) return p.fail("expected '=' after the node outputs");
  std::string op = p.word();
  if (op.empty()) return p.fail("expected an op type after '='");
  if (size_t dot = op.rfind('.'); dot != std::string::npos) {
    node.domain = op.substr(0, dot);
    node.op_type = op.substr(dot + 1);
  } else {
    node.op_type = op;
  }
  if (!p.consume('(')) return p.fail("expected '(' after the op type " + op);
  if (!p.consume(')')) {
    do {
      if (p.consume_word("none")) {
        node.inputs.emplace_back();
        continue;
      }
      std::string name;
      if (!p.value_name(&name)) return p.fail("expected '%name' or none as a node input");
      node.inputs.push_back(std::move(name));
    } while (p.consume(','));
    if (!p.consume(')')) return p.fail("expected ')' after the node inputs");
  }
  if (p.consume('{')) {
    if (!p.consume('}')) {
      do {
        std::string key = p.word();
        if (key.empty()) return p.fail("expected an attribute name");
        if (!p.consume('=')) return p.fail("expected '=' after attribute " + key);
        AttributeValue v;
        if (!parse_attribute_value(p, &v)) return false;
        node.attrs.set(key, std::move(v));
      } while (p.consume(','));
      if (!p.consume('}')) return p.fail("expected '}' after the attributes");
    }
  }
  if (p.consume_word("name")) {
    if (!p.consume('=')) return p.fail("expected '=' after name");
    node.name = p.token();
  }
  if (p.consume(':')) {
    for (const std::string& out : node.outputs) {
      std::optional<ValueInfo> info;
      if (!p.value_type(&info)) return false;
      if (info && !out.empty()) g.values[out] = *info;
    }
  }
  if (!p.at_end()) return p.fail("unexpected text '" + p.rest() + "' at the end of the node");
  g.nodes.push_back(std::move(node));
  return true;
}

bool parse_line(LineParser& p, Graph& g, bool* seen_header) {
  if (p.consume_word("graph")) {
    if (*seen_header) return p.fail("a second 'graph' header");
    *seen_header = true;
    g.name = p.token();
    if (g.name.empty()) return p.fail("expected the graph name after 'graph'");
    if (p.consume_word("opset")) {
      Number n;
      if (!p.consume('=') || !p.number(&n) || n.is_float) return p.fail("expected opset=<integer>");
      if (n.i > 0) g.opset_imports[""] = n.i;
    }
    return p.at_end() || p.fail("unexpected text '" + p.rest() + "' after the graph header");
  }
  if (!*seen_header) return p.fail("expected 'graph <name> opset=<n>' first");
  if (p.consume_word("input")) {
    std::string name;
    std::optional<ValueInfo> info;
    if (!p.value_name(&name) || name.empty()) return p.fail("expected '%name' after input");
    if (!p.consume(':')) return p.fail("expected ':' after input %" + name);
    if (!p.value_type(&info)) return false;
    g.inputs.push_back(name);
    if (info) g.values[name] = *info;
    return p.at_end() || p.fail("unexpected text '" + p.rest() + "' after the input");
  }
  if (p.consume_word("init")) {
    std::string name;
    std::optional<ValueInfo> info;
    if (!p.value_name(&name) || name.empty()) return p.fail("expected '%name' after init");
    if (!p.consume(':')) return p.fail("expected ':' after init %" + name);
    if (!p.value_type(&info)) return false;
    if (!info) return p.fail("initializer %" + name + " needs a dtype and shape");
    Tensor t;
    if (!parse_tensor(p, *info, &t)) return false;
    if (g.initializers.count(name)) return p.fail("initializer %" + name + " is defined twice");
    g.add_initializer(name, std::move(t));
    return p.at_end() || p.fail("unexpected text '" + p.rest() + "' after the initializer");
  }
  if (p.consume_word("output")) {
    std::string name;
    if (!p.value_name(&name) || name.empty()) return p.fail("expected '%name' after output");
    g.outputs.push_back(name);
    return p.at_end() || p.fail("unexpected text '" + p.rest() + "' after the output");
  }
  if (p.peek('%') || p.peek('=')) return parse_node(p, g);
  return p.fail("expected input, init, output or a node '%out = Op(...)'");
}

}  // namespace

StatusOr<Graph> parse_text(std::string_view text) {
  Graph g;
  g.name.clear();
  bool seen_header = false;
  int line_no = 0;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) continue;
    if (line.substr(first, 2) == "//" || line[first] == '#') continue;
    LineParser p(line, line_no);
    if (!parse_line(p, g, &seen_header)) return p.error(p.err().empty() ? "cannot parse this line" : p.err());
  }
  if (!seen_header) return invalid_argument("line 1: the text holds no 'graph <name> opset=<n>' header");
  return g;
}

}  // namespace edgeq::ir
