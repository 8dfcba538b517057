#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lwm2md {

/// RFC 4648 §4 base64 with padding: how LwM2M 1.1 carries Opaque values in text/plain.
std::string encodeBase64(std::span<const std::uint8_t> data);

/// Strict inverse of encodeBase64: standard alphabet, length a multiple of 4, padding only at
/// the end, unused trailing bits zero (so every input has exactly one meaning). nullopt on
/// anything else, including whitespace.
std::optional<std::vector<std::uint8_t>> decodeBase64(std::string_view text);

}  // namespace lwm2md
