// libFuzzer target: CoRE Link Format parsing; what parses must print and parse back the same.
#include <cstdlib>
#include <string_view>

#include "io/link_format.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace lwm2md;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto links = parseLinks(text);
  if (!links) return 0;
  const auto encoded = encodeLinks(*links);
  auto again = parseLinks(encoded);
  if (!again || *again != *links) std::abort();
  return 0;
}
