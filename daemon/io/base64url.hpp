#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lwm2md {

/// RFC 4648 §5 base64url without padding: how RFC 8428 §4.3 carries a SenML JSON data value
/// ("vd"), and so how SenML JSON carries an Opaque resource.
std::string encodeBase64Url(std::span<const std::uint8_t> data);

/// Strict inverse of encodeBase64Url: URL-safe alphabet, no padding, no whitespace, unused
/// trailing bits zero (so every input has exactly one meaning). nullopt on anything else.
std::optional<std::vector<std::uint8_t>> decodeBase64Url(std::string_view text);

}  // namespace lwm2md
