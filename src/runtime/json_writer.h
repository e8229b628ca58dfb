// A tiny JSON text builder for the runtime's info and profile reports (the runtime links
// no JSON library). Values are appended in order; the caller writes valid nesting.
//
//   JsonWriter w;
//   w.begin_object().key("name").value("resnet50").key("ms").value(1.5).end_object();
//   std::string text = w.str();
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace edgeq::runtime {

class JsonWriter {
 public:
  JsonWriter& begin_object() { return open('{'); }
  JsonWriter& end_object() { return close('}'); }
  JsonWriter& begin_array() { return open('['); }
  JsonWriter& end_array() { return close(']'); }
  JsonWriter& key(std::string_view k) {
    comma();
    quote(k);
    out_ += ':';
    after_key_ = true;
    return *this;
  }
  JsonWriter& value(std::string_view s) { comma(); quote(s); return *this; }
  JsonWriter& value(const char* s) { return value(std::string_view(s ? s : "")); }
  JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
  JsonWriter& value(bool b) { comma(); out_ += b ? "true" : "false"; return *this; }
  JsonWriter& value(int v) { return value(static_cast<int64_t>(v)); }
  JsonWriter& value(int64_t v) { comma(); out_ += std::to_string(v); return *this; }
  JsonWriter& value(uint64_t v) { comma(); out_ += std::to_string(v); return *this; }
  // Doubles (times) with 12 significant digits; floats (scales) with 9, which reads back
  // as the same float.
  JsonWriter& value(double v) { return number(v, "%.12g"); }
  JsonWriter& value(float v) { return number(v, "%.9g"); }
  const std::string& str() const { return out_; }

 private:
  JsonWriter& number(double v, const char* format) {
    comma();
    if (!std::isfinite(v)) {
      out_ += "null";
    } else {
      char buf[40];
      std::snprintf(buf, sizeof(buf), format, v);
      out_ += buf;
    }
    return *this;
  }
  JsonWriter& open(char c) { comma(); out_ += c; first_ = true; return *this; }
  JsonWriter& close(char c) { out_ += c; first_ = false; return *this; }
  void comma() {
    if (after_key_) { after_key_ = false; return; }
    if (!first_ && !out_.empty()) out_ += ',';
    first_ = false;
  }
  void quote(std::string_view s) {
    out_ += '"';
    for (unsigned char c : s) {
      switch (c) {
        case '"': out_ += "\\\""; break;
        case '\\': out_ += "\\\\"; break;
        case '\n': out_ += "\\n"; break;
        case '\r': out_ += "\\r"; break;
        case '\t': out_ += "\\t"; break;
        default:
          if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof(buf), "\\u%04x", c);
            out_ += buf;
          } else {
            out_ += static_cast<char>(c);
          }
      }
    }
    out_ += '"';
  }

  std::string out_;
  bool first_ = true;
  bool after_key_ = false;
};

}  // namespace edgeq::runtime
