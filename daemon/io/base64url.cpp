#include "io/base64url.hpp"

#include "io/base64.hpp"

namespace lwm2md {

// base64url is base64 with two other characters for 62 and 63 and without the padding
// (RFC 4648 §5): translate and let the strict base64 codec do the work.

std::string encodeBase64Url(std::span<const std::uint8_t> data) {
  std::string text = encodeBase64(data);
  while (!text.empty() && text.back() == '=') text.pop_back();
  for (char& c : text) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return text;
}

std::optional<std::vector<std::uint8_t>> decodeBase64Url(std::string_view text) {
  // Four characters carry three bytes; a remainder of one character carries none.
  if (text.size() % 4 == 1) return std::nullopt;
  std::string standard;
  standard.reserve(text.size() + 2);
  for (char c : text) {
    if (c == '+' || c == '/' || c == '=') return std::nullopt;  // not in the URL alphabet
    standard += c == '-' ? '+' : c == '_' ? '/' : c;
  }
  standard.append((4 - standard.size() % 4) % 4, '=');
  return decodeBase64(standard);
}

}  // namespace lwm2md
