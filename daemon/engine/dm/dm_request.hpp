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

  static DmResponse error(CoapCode code, const std::string& reason) {
    return {code, std::nullopt, std::vector<std::uint8_t>(reason.begin(), reason.end()), {}};
  }
  std::string diagnostic() const { return {payload.begin(), payload.end()}; }
};

}  // namespace lwm2md
