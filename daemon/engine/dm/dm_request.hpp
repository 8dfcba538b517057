#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "io/content_format.hpp"
#include "model/coap_code.hpp"
#include "model/path.hpp"

namespace lwm2md {

enum class CoapMethod { Get, Post, Put, Delete, Fetch, Patch, IPatch };

/// A Device Management request, independent of libcoap: what the CoAP layer decoded.
struct DmRequest {
  CoapMethod method = CoapMethod::Get;
  Path path;
  std::optional<std::uint16_t> contentFormat;  // of the payload, raw number
  std::optional<std::uint16_t> accept;         // raw number
  std::vector<std::uint8_t> payload;
  std::vector<std::string> query;
  std::string serverVersion = "1.1";  // the registered LwM2M version, picks default formats
  std::uint16_t serverShortId = 0;    // who asks: attributes are kept per server (0 = unknown)
};

/// The answer: a CoAP code, and a payload in `contentFormat`, or a diagnostic text on errors.
struct DmResponse {
  CoapCode code = CoapCode::Content;
  std::optional<std::uint16_t> contentFormat;
  std::vector<std::uint8_t> payload;
  /// Location-Path segments of a 2.01 Created ("3303", "1"); empty otherwise.
  std::vector<std::string> locationPath;
  /// Max-Age option (RFC 7252 §5.10.5) in seconds, when set: on a 5.03 it tells the server
  /// when to try again (§5.9.3.4).
  std::optional<std::uint32_t> maxAge;

  static DmResponse error(CoapCode code, const std::string& reason) {
    DmResponse response;
    response.code = code;
    response.payload.assign(reason.begin(), reason.end());
    return response;
  }
  std::string diagnostic() const { return {payload.begin(), payload.end()}; }
};

}  // namespace lwm2md
