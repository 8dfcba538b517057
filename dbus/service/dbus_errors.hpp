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

}  // namespace lwm2md
