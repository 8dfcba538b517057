#include "dbus/service/dbus_errors.hpp"

#include <utility>

namespace lwm2md {

std::string dbusErrorName(ErrorKind kind) {
  std::string name(kDbusErrorPrefix);
  name += toString(kind);
  return name;
}

sdbus::Error dbusError(ErrorKind kind, const std::string& message) {
  return sdbus::Error(dbusErrorName(kind), message);
}

sdbus::Error dbusError(const Error& error) {
  return dbusError(error.kind, error.message);
}

std::string limitExceededName() {
  std::string name(kDbusErrorPrefix);
  name += "LimitExceeded";
  return name;
}

sdbus::Error limitExceeded(const std::string& message) {
  return sdbus::Error(limitExceededName(), message);
}

}  // namespace lwm2md
