#pragma once

#include <spdlog/spdlog.h>

#include <memory>

namespace lwm2md {

/// The "dbus" logger when the daemon registered one, the default logger otherwise.
std::shared_ptr<spdlog::logger> dbusLogger();

}  // namespace lwm2md
