#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "model/result.hpp"

namespace lwm2md {

/// A server address as the config accepts it: coap[s]://host[:port], nothing after it. The
/// registration and bootstrap code connect to exactly this, so paths and queries (which LwM2M
/// servers do not use in the server URI) are refused rather than silently dropped.
struct CoapUri {
  bool secure = false;  // coaps://
  std::string host;     // name, dotted IPv4, or IPv6 without the brackets
  bool hostIsIpv6 = false;
  std::uint16_t port = 5683;  // the scheme's default when the URI has none (5683 / 5684)
};

/// Parses and checks a server URI. The error message says what is wrong without naming the
/// URI or the key (the caller adds them).
Result<CoapUri> parseCoapUri(std::string_view uri);

}  // namespace lwm2md
