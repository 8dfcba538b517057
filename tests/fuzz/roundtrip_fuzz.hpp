#pragma once

#include <cstdint>
#include <cstdlib>
#include <span>

#include "fuzz_nan.hpp"
#include "fuzz_shapes.hpp"
#include "io/content_format.hpp"

namespace lwm2md::fuzz {

/// The body of a value-format fuzzer: decode at a path picked by the first two bytes, and
/// whatever decodes must encode, decode again and encode to the same bytes (the canonical form
/// is stable). Byte 0 picks the depth (1..4) below /9999, byte 1 the resource id used at
/// depth 3 and 4; the instance is 0 and the resource instance 1.
inline int roundTrip(ContentFormat format, const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const int depth = 1 + data[0] % 4;
  Path path(9999);
  if (depth >= 2) path = path.child(0);
  if (depth >= 3) path = path.child(data[1]);
  if (depth >= 4) path = path.child(1);
  const std::span<const std::uint8_t> payload(data + 2, size - 2);
  auto decoded = decodeContent(format, path, payload, fuzzShape);
  if (!decoded) return 0;
  auto encoded = encodeContent(format, *decoded);
  if (!encoded) std::abort();  // whatever decodes must encode again
  auto again = decodeContent(format, path, *encoded, fuzzShape);
  if (!again) std::abort();
  // NaN is not equal to itself (the binary formats carry it): where the content holds one, the
  // byte-for-byte check below is the test.
  if (!(*again == *decoded) && !hasNaN(*decoded)) std::abort();
  auto reencoded = encodeContent(format, *again);
  if (!reencoded || *reencoded != *encoded) std::abort();
  return 0;
}

}  // namespace lwm2md::fuzz
