#pragma once

#include <sdbus-c++/Error.h>

#include <string>
#include <string_view>

#include "model/result.hpp"

namespace lwm2md {

/// Prefix of every named error the daemon returns (DESIGN.md: org.lwm2md1.Error.<Name>).
inline constexpr std::string_view kDbusErrorPrefix = "org.lwm2md1.Error.";

/// The D-Bus error name of a kind, e.g. "org.lwm2md1.Error.NotFound".
std::string dbusErrorName(ErrorKind kind);
/// A named D-Bus error; sdbus-c++ turns a thrown sdbus::Error into the method's error reply.
sdbus::Error dbusError(ErrorKind kind, const std::string& message);
/// The same failure a server would get as a CoAP code, as a D-Bus caller gets it.
sdbus::Error dbusError(const Error& error);

/// "org.lwm2md1.Error.LimitExceeded": a [limits] bound of the config refused the call (too many
/// instances, calls or bytes). D-Bus only: a server never meets these limits through this
/// error, so it is no ErrorKind (which maps onto CoAP codes).
std::string limitExceededName();
/// The LimitExceeded error; the message names the limit and its value.
sdbus::Error limitExceeded(const std::string& message);

}  // namespace lwm2md
