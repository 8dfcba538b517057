#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "model/content.hpp"
#include "model/result.hpp"

namespace lwm2md {

/// OMA LwM2M JSON (content format 11543; legacy 1543), LwM2M 1.1 TS Core §7.4.5:
/// {"bn":"/3/0/","e":[{"n":"0","sv":"Open Mobile Alliance"},{"n":"9","v":95},...]}.
/// Names and base names as in senml_records.hpp; "bn" is a top-level field that applies to
/// every entry.
///
/// Encoding, compact, "bn" then "e", each entry "n" then the value: Integer/Time/Unsigned/
/// Float as "v", Boolean as "bv", Objlnk as "ov" "oid:iid", String/Corelnk as "sv", Opaque as
/// "sv" in base64 with padding (RFC 4648 §4). 4.06 for a non-finite Float.
Result<std::vector<std::uint8_t>> encodeLwm2mJson(const Content& content);

/// Decodes a payload addressed to `path`: an object with "e" (required, an array of entries),
/// "bn" and "bt" (accepted and ignored); in entries "n", one of "v"/"sv"/"bv"/"ov", and "t"
/// (ignored). Other fields are ignored; duplicate fields are refused. Errors: 4.00 naming the
/// entry index, the field and the path, or the byte offset for malformed JSON; 4.04 (kind
/// NotFound) for unknown resources.
Result<Content> decodeLwm2mJson(const Path& path, std::span<const std::uint8_t> payload,
                                const ShapeLookup& shapes);

}  // namespace lwm2md
