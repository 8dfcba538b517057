#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <optional>
#include <string_view>

namespace lwm2md::log {

/// Creates the daemon's loggers, one per module (daemon, coap, reg, dm, dbus, config), sharing
/// one sink: journald when started by systemd with JOURNAL_STREAM set, stderr otherwise.
/// Safe to call again (e.g. to change the level).
void setup(spdlog::level::level_enum level);

/// The named module logger; created on the shared sink if setup() has not made it.
std::shared_ptr<spdlog::logger> get(std::string_view name);

/// "trace", "debug", "info", "warn", "error", "critical", "off".
std::optional<spdlog::level::level_enum> parseLevel(std::string_view name);

}  // namespace lwm2md::log
