#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "model/content.hpp"
#include "model/result.hpp"

namespace lwm2md {

/// application/cbor (content format 60), LwM2M 1.1 TS Core §7.4 "CBOR": one value of a single
/// resource or of a resource instance as one CBOR data item (RFC 8949), like text/plain but
/// binary. String/Corelnk as a text string, Integer/Time as an integer (major type 0 or 1),
/// Unsigned Integer as major type 0, Float as a float in the shortest of half/single/double that
/// keeps the value, Boolean as false/true, Opaque as a byte string, Objlnk as the text
/// "oid:iid".

/// 4.06 for anything but a single resource or resource instance.
Result<std::vector<std::uint8_t>> encodeCborValue(const Content& content);

/// Strict about the item's type: an Integer takes only integers, a String only a text string,
/// and so on; a Float also takes an integer (the value a server meant). A Time may carry the
/// epoch tag 1 (RFC 8949 §3.4.2); other tags, indefinite nesting of containers and trailing
/// bytes are refused. 4.00 naming the path and what was found; 4.04 for an unknown resource.
Result<Content> decodeCborValue(const Path& path, std::span<const std::uint8_t> payload,
                                const ShapeLookup& shapes);

}  // namespace lwm2md
