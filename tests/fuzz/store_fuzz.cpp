// libFuzzer target: the durable state decoder (daemon/store). Whatever decodes must encode,
// decode again, and encode to the same text (the encoding is canonical).
// An input that does not begin with the format name is taken as bare content and given a
// valid header (length and CRC-32), so that mutations reach the JSON checks instead of dying
// at the checksum; inputs that do begin with it exercise the header and integrity checks.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "store/crc32.hpp"
#include "store/state_codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

std::string withHeader(std::string_view body) {
  char crc[9];
  std::snprintf(crc, sizeof crc, "%08x", lwm2md::crc32(body));
  return "lwm2md-state version=1 length=" + std::to_string(body.size()) + " crc32=" + crc + "\n" +
         std::string(body);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace lwm2md;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string text = input.substr(0, kStateFormatName.size()) == kStateFormatName
                               ? std::string(input)
                               : withHeader(input);
  auto decoded = decodeState(text);
  if (!decoded) {
    if (decoded.error().message.empty()) std::abort();  // every rejection says why
    return 0;
  }
  if (!validateState(*decoded)) std::abort();  // what decodes is a state save() accepts
  const std::string encoded = encodeState(*decoded);
  auto again = decodeState(encoded);
  if (!again) std::abort();
  // Compared as text, not as structs: NaN values never compare equal.
  if (encodeState(*again) != encoded) std::abort();
  return 0;
}
