// libFuzzer target: text/plain decoding, then re-encoding of whatever decoded.
#include <cstdlib>
#include <span>

#include "fuzz_shapes.hpp"
#include "io/content_format.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace lwm2md;
  if (size < 1) return 0;
  // The first byte picks the target: its low 7 bits the resource type (see fuzz_shapes.hpp),
  // bit 7 whether the path names an instance of the multiple resource of that type.
  const std::uint16_t type = static_cast<std::uint16_t>(1 + (data[0] & 0x7F) % 10);
  const bool instance = (data[0] & 0x80) != 0;
  const Path path =
      instance ? Path(9999, 0, static_cast<std::uint16_t>(type + 100), 1) : Path(9999, 0, type);
  const std::span<const std::uint8_t> payload(data + 1, size - 1);
  auto decoded = decodeContent(ContentFormat::TextPlain, path, payload, fuzz::fuzzShape);
  if (!decoded) return 0;
  auto encoded = encodeContent(ContentFormat::TextPlain, *decoded);
  if (!encoded) std::abort();  // whatever decodes must encode again
  auto again = decodeContent(ContentFormat::TextPlain, path, *encoded, fuzz::fuzzShape);
  if (!again) std::abort();
  auto reencoded = encodeContent(ContentFormat::TextPlain, *again);
  if (!reencoded || *reencoded != *encoded) std::abort();  // the canonical form is stable
  return 0;
}
