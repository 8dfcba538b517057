#include "io/base64url.hpp"

#include <array>

namespace lwm2md {

namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<std::int8_t, 256> makeReverse() {
  std::array<std::int8_t, 256> table{};
  for (auto& entry : table) entry = -1;
  for (std::size_t i = 0; i < kAlphabet.size(); ++i)
    table[static_cast<std::uint8_t>(kAlphabet[i])] = static_cast<std::int8_t>(i);
  return table;
}

constexpr auto kReverse = makeReverse();

}  // namespace

std::string encodeBase64Url(std::span<const std::uint8_t> data) {
  std::string out;
  out.reserve((data.size() * 4 + 2) / 3);
  std::uint32_t bits = 0;
  int count = 0;  // bits waiting in `bits`
  for (auto byte : data) {
    bits = (bits << 8) | byte;
    count += 8;
    while (count >= 6) {
      count -= 6;
      out += kAlphabet[(bits >> count) & 0x3F];
    }
  }
  if (count > 0) out += kAlphabet[(bits << (6 - count)) & 0x3F];
  return out;
}

std::optional<std::vector<std::uint8_t>> decodeBase64Url(std::string_view text) {
  // Four characters carry three bytes; a remainder of one character carries none.
  if (text.size() % 4 == 1) return std::nullopt;
  std::vector<std::uint8_t> out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    const auto digit = kReverse[static_cast<std::uint8_t>(c)];
    if (digit < 0) return std::nullopt;
    bits = ((bits << 6) | static_cast<std::uint32_t>(digit)) & 0xFFFF;
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<std::uint8_t>(bits >> count));
    }
  }
  if ((bits & ((1u << count) - 1)) != 0) return std::nullopt;  // non-zero unused bits
  return out;
}

}  // namespace lwm2md
