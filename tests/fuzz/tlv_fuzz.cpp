// libFuzzer target: TLV decoding at every path depth, then re-encoding of whatever decoded.
#include <cstdlib>
#include <span>

#include "fuzz_shapes.hpp"
#include "io/content_format.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace lwm2md;
  if (size < 2) return 0;
  // Byte 0 picks the path depth (1..4), byte 1 the resource id used at depth 3 and 4.
  const int depth = 1 + data[0] % 4;
  const std::uint16_t rid = data[1];
  Path path(9999);
  if (depth >= 2) path = path.child(0);
  if (depth >= 3) path = path.child(rid);
  if (depth >= 4) path = path.child(1);
  const std::span<const std::uint8_t> payload(data + 2, size - 2);
  auto decoded = decodeContent(ContentFormat::LwM2MTlv, path, payload, fuzz::fuzzShape);
  if (!decoded) return 0;
  auto encoded = encodeContent(ContentFormat::LwM2MTlv, *decoded);
  if (!encoded) std::abort();  // whatever decodes must encode again
  auto again = decodeContent(ContentFormat::LwM2MTlv, path, *encoded, fuzz::fuzzShape);
  if (!again) std::abort();
  auto reencoded = encodeContent(ContentFormat::LwM2MTlv, *again);
  if (!reencoded || *reencoded != *encoded) std::abort();  // the canonical form is stable
  return 0;
}
