// libFuzzer target: the TOML config loader from text (parseConfig). Every rejection must name
// the source; whatever loads must hold the values the loader promises to check (short ids,
// lifetimes, transmission parameters in range, a known log level).
// The source is a path in a directory that does not exist: key files named by the input are
// looked up there and never found, so the fuzzer reads no files of this machine.
#include <cstdlib>
#include <string_view>

#include "config/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace lwm2md;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = parseConfig(text, "/nonexistent-lwm2md-fuzz/lwm2md.toml");
  if (!config) {
    if (config.error().message.find("lwm2md.toml") == std::string::npos) std::abort();
    return 0;
  }
  if (!isLogLevel(config->logLevel)) std::abort();
  for (const auto& server : config->servers) {
    if (server.shortId < 1 || server.shortId > 65534) std::abort();
    if (server.lifetime < 1) std::abort();
    if (server.version != "1.0" && server.version != "1.1") std::abort();
  }
  const auto& coap = config->coap;
  if (!(coap.ackTimeoutSeconds >= 1 && coap.ackTimeoutSeconds <= 300)) std::abort();
  if (!(coap.ackRandomFactor >= 1 && coap.ackRandomFactor <= 10)) std::abort();
  if (coap.maxRetransmit < 1 || coap.maxRetransmit > 20) std::abort();
  const auto& registration = config->registration;
  if (!(registration.updateAtFraction >= 0.5 && registration.updateAtFraction <= 0.95))
    std::abort();
  return 0;
}
