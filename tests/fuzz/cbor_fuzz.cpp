// libFuzzer target: application/cbor (60) single-value decoding at every path depth, then
// re-encoding of whatever decoded.
#include <cstdint>

#include "roundtrip_fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return lwm2md::fuzz::roundTrip(lwm2md::ContentFormat::Cbor, data, size);
}
