#include "dbus/service/provider_errors.hpp"

#include <array>
#include <utility>

namespace lwm2md {

namespace {

// Why each code:
// - NotFound/UnknownObject: what the server addressed does not exist (or has no value): 4.04.
// - InvalidValue/InvalidType: the server's payload is not acceptable: 4.00.
// - AlreadyExists: LwM2M answers a Create of an existing instance with 4.00.
// - NotPermitted: access rights are the daemon's (its access control runs before any provider
//   is asked), so what a provider can refuse is the operation itself on that target: 4.05,
//   not 4.01. A provider without the method at all (UnknownMethod) refuses the same way.
// - Timeout: the provider's own upstream (a sensor bus, a modem) did not answer: 5.04.
// - The bus's "nobody there" errors: the provider is gone: 5.03.
// - The bus's own timeouts: 5.04.
constexpr std::array<ProviderErrorMapping, 15> kTable = {{
    {"org.lwm2md1.Error.NotFound", CoapCode::NotFound, ErrorKind::NotFound},
    {"org.lwm2md1.Error.UnknownObject", CoapCode::NotFound, ErrorKind::UnknownObject},
    {"org.lwm2md1.Error.InvalidValue", CoapCode::BadRequest, ErrorKind::InvalidValue},
    {"org.lwm2md1.Error.InvalidType", CoapCode::BadRequest, ErrorKind::InvalidType},
    {"org.lwm2md1.Error.AlreadyExists", CoapCode::BadRequest, ErrorKind::AlreadyExists},
    {"org.lwm2md1.Error.NotPermitted", CoapCode::MethodNotAllowed, ErrorKind::NotPermitted},
    {"org.lwm2md1.Error.Timeout", CoapCode::GatewayTimeout, ErrorKind::Timeout},
    {"org.lwm2md1.Error.Failed", CoapCode::InternalServerError, ErrorKind::Failed},
    {"org.freedesktop.DBus.Error.UnknownMethod", CoapCode::MethodNotAllowed,
     ErrorKind::NotPermitted},
    {"org.freedesktop.DBus.Error.ServiceUnknown", CoapCode::ServiceUnavailable, ErrorKind::Failed},
    {"org.freedesktop.DBus.Error.NameHasNoOwner", CoapCode::ServiceUnavailable, ErrorKind::Failed},
    {"org.freedesktop.DBus.Error.Disconnected", CoapCode::ServiceUnavailable, ErrorKind::Failed},
    // The gateway tells a NoReply that is its own timeout from one that is a provider leaving
    // (see ProviderGateway); the table holds the latter.
    {"org.freedesktop.DBus.Error.NoReply", CoapCode::ServiceUnavailable, ErrorKind::Failed},
    {"org.freedesktop.DBus.Error.Timeout", CoapCode::GatewayTimeout, ErrorKind::Timeout},
    {"org.freedesktop.DBus.Error.TimedOut", CoapCode::GatewayTimeout, ErrorKind::Timeout},
}};

}  // namespace

std::span<const ProviderErrorMapping> providerErrorTable() {
  return kTable;
}

Error providerError(std::string_view dbusName, std::string message) {
  for (const ProviderErrorMapping& row : kTable)
    if (row.dbusName == dbusName) return Error{row.code, std::move(message), row.kind};
  return Error{CoapCode::InternalServerError, std::move(message), ErrorKind::Failed};
}

Error providerTimeoutError(std::string message) {
  return Error{CoapCode::GatewayTimeout, std::move(message), ErrorKind::Timeout};
}

Error providerGoneError(std::string message) {
  return Error{CoapCode::ServiceUnavailable, std::move(message), ErrorKind::Failed};
}

}  // namespace lwm2md
