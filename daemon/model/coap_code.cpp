#include "model/coap_code.hpp"

#include <fmt/format.h>

namespace lwm2md {

std::string toString(CoapCode code) {
  const auto raw = static_cast<unsigned>(code);
  return fmt::format("{}.{:02}", raw >> 5, raw & 0x1f);
}

}  // namespace lwm2md

#include "model/result.hpp"

namespace lwm2md {

std::string_view toString(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::NotFound:
      return "NotFound";
    case ErrorKind::InvalidType:
      return "InvalidType";
    case ErrorKind::InvalidValue:
      return "InvalidValue";
    case ErrorKind::NotPermitted:
      return "NotPermitted";
    case ErrorKind::AlreadyExists:
      return "AlreadyExists";
    case ErrorKind::UnknownObject:
      return "UnknownObject";
    case ErrorKind::Timeout:
      return "Timeout";
    case ErrorKind::Failed:
      break;
  }
  return "Failed";
}

}  // namespace lwm2md
