#pragma once

#include <cstdint>
#include <string>

namespace lwm2md {

/// CoAP response codes used by LwM2M (RFC 7252 §12.1.2). Values are the on-wire byte
/// (class << 5 | detail), so they can be handed to libcoap unchanged.
enum class CoapCode : std::uint8_t {
  Created = (2 << 5) | 1,
  Deleted = (2 << 5) | 2,
  Valid = (2 << 5) | 3,
  Changed = (2 << 5) | 4,
  Content = (2 << 5) | 5,
  Continue = (2 << 5) | 31,
  BadRequest = (4 << 5) | 0,
  Unauthorized = (4 << 5) | 1,
  BadOption = (4 << 5) | 2,
  Forbidden = (4 << 5) | 3,
  NotFound = (4 << 5) | 4,
  MethodNotAllowed = (4 << 5) | 5,
  NotAcceptable = (4 << 5) | 6,
  RequestEntityIncomplete = (4 << 5) | 8,
  PreconditionFailed = (4 << 5) | 12,
  RequestEntityTooLarge = (4 << 5) | 13,
  UnsupportedContentFormat = (4 << 5) | 15,
  InternalServerError = (5 << 5) | 0,
  NotImplemented = (5 << 5) | 1,
  ServiceUnavailable = (5 << 5) | 3,
  GatewayTimeout = (5 << 5) | 4,
};

/// "2.05", "4.04": the dotted form used in logs and the specifications.
std::string toString(CoapCode code);

inline bool isSuccess(CoapCode code) {
  return (static_cast<unsigned>(code) >> 5) == 2;
}

}  // namespace lwm2md
