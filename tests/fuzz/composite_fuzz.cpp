// libFuzzer target: the composite payloads (Read/Observe-Composite path lists, Write-Composite
// records) in SenML JSON or CBOR. Whatever decodes as a Write-Composite must encode as a
// Read-Composite answer and decode back to the same values.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "fuzz_shapes.hpp"
#include "io/composite_format.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace lwm2md;
  if (size < 1) return 0;
  // Byte 0: bit 0 picks the format (SenML JSON / SenML CBOR).
  const ContentFormat format = (data[0] & 1) ? ContentFormat::SenmlCbor : ContentFormat::SenmlJson;
  const std::span<const std::uint8_t> payload(data + 1, size - 1);
  // Only /9999 is a known object (fuzz_shapes.hpp).
  const ObjectShapes shapesFor = [](std::uint16_t oid) -> ShapeLookup {
    if (oid != 9999) return {};
    return fuzz::fuzzShape;
  };
  (void)decodeCompositePaths(format, payload);
  auto decoded = decodeComposite(format, payload, shapesFor);
  if (!decoded) return 0;
  auto encoded = encodeComposite(format, *decoded);
  if (!encoded) std::abort();  // whatever decodes must encode again
  auto again = decodeComposite(format, *encoded, shapesFor);
  if (!again || *again != *decoded) std::abort();
  return 0;
}
