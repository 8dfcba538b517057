#include "dbus/service/logger.hpp"

namespace lwm2md {

std::shared_ptr<spdlog::logger> dbusLogger() {
  auto log = spdlog::get("dbus");
  return log ? log : spdlog::default_logger();
}

}  // namespace lwm2md
