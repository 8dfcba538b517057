#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "model/content.hpp"
#include "model/result.hpp"

namespace lwm2md {

// GCC's -Wshadow flags the scoped enumerator Opaque against the type lwm2md::Opaque although
// ContentFormat::Opaque can never be confused with it; keep the public name, silence the warning.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
/// CoAP Content-Format numbers LwM2M uses (IANA CoAP registry).
enum class ContentFormat : std::uint16_t {
  TextPlain = 0,
  LinkFormat = 40,
  Opaque = 42,
  Cbor = 60,
  SenmlJson = 110,
  SenmlCbor = 112,
  LwM2MTlv = 11542,
  LwM2MJson = 11543,
  LegacyText = 1541,  // pre-1.0 numbers some servers still send
  LegacyTlv = 1542,
  LegacyJson = 1543,
  LegacyOpaque = 1544,
};
#pragma GCC diagnostic pop

std::string_view toString(ContentFormat format);

/// Encodes `content` (values below content.path) in `format`.
/// Errors: 4.06 Not Acceptable when the format cannot carry this content (e.g. text/plain for
/// an instance), with a reason.
Result<std::vector<std::uint8_t>> encodeContent(ContentFormat format, const Content& content);

/// Decodes a payload addressed to `path`. `shapes` gives the types of the object's resources.
/// Errors: 4.00 with a precise reason for malformed data, 4.15 for an unsupported format.
Result<Content> decodeContent(ContentFormat format, const Path& path,
                              std::span<const std::uint8_t> payload, const ShapeLookup& shapes);

}  // namespace lwm2md
