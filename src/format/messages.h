// Message helpers shared by the `.bin` writer, reader and validate() (internal).
#pragma once

#include <cctype>
#include <string>

namespace edgeq::format {

// "Tensor 3 ..." → "tensor 3 ...", to nest one sentence after "path is invalid: ".
inline std::string lower_first(std::string s) {
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z' && !(s.size() > 1 && s[1] >= 'A' && s[1] <= 'Z'))
    s[0] = static_cast<char>(s[0] - 'A' + 'a');
  return s;
}

inline std::string upper_first(std::string s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

}  // namespace edgeq::format
