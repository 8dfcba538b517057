#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "model/content.hpp"
#include "model/result.hpp"

namespace lwm2md {

/// OMA TLV (content format 11542; legacy 1542), LwM2M 1.1 TS Core §7.4.3.
///
/// Encoding is relative to content.path: /o → Object Instance TLVs; /o/i → that instance's
/// resource TLVs without a wrapper; /o/i/r → one Resource TLV, or a Multiple Resource TLV (even
/// with 0 or 1 instances) for a multiple resource; /o/i/r/ri → one Resource Instance TLV.
/// Integers take the fewest of 1/2/4/8 bytes, Floats 4 bytes when that loses nothing.
Result<std::vector<std::uint8_t>> encodeTlv(const Content& content);

/// Decodes a payload addressed to `path`, typing each resource through `shapes`.
/// For /o/i either bare resource TLVs or exactly one Object Instance TLV with id i; for /o
/// either Object Instance TLVs or bare resources (then the instance id is Path::kInvalidId:
/// "let the client pick"). Errors: 4.04 (kind NotFound) for a resource `shapes` does not know;
/// 4.00 with the byte offset for anything malformed (truncation, duplicates, misplaced nesting,
/// wrong value sizes, non-0/1 booleans, invalid UTF-8, reserved id 65535).
Result<Content> decodeTlv(const Path& path, std::span<const std::uint8_t> payload,
                          const ShapeLookup& shapes);

}  // namespace lwm2md
