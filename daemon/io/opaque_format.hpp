#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "model/content.hpp"
#include "model/result.hpp"

namespace lwm2md {

/// application/octet-stream (content format 42), LwM2M 1.1 TS Core §7.4.2: the raw bytes of one
/// Opaque single resource or resource instance, nothing else.

/// 4.06 for anything but an Opaque single resource or resource instance.
Result<std::vector<std::uint8_t>> encodeOpaque(const Content& content);

/// 4.00 when `path` is not an Opaque single resource or resource instance; 4.04 when unknown.
Result<Content> decodeOpaque(const Path& path, std::span<const std::uint8_t> payload,
                             const ShapeLookup& shapes);

}  // namespace lwm2md
