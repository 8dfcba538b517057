#include "core/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/systemd_sink.h>

#include <array>
#include <cstdlib>
#include <mutex>
#include <string>

namespace lwm2md::log {

namespace {

constexpr std::array<std::string_view, 7> kModules{"daemon", "coap",   "reg",    "dm",
                                                   "dbus",   "config", "observe"};

struct State {
  std::mutex mutex;
  spdlog::sink_ptr sink;
  spdlog::level::level_enum level = spdlog::level::info;
};

State& state() {
  static State s;
  return s;
}

spdlog::sink_ptr makeSink() {
  // The journald sink drops messages silently when journald is absent, so only use it when
  // systemd connected our stderr to the journal.
  if (std::getenv("JOURNAL_STREAM") != nullptr) {
    return std::make_shared<spdlog::sinks::systemd_sink_mt>("lwm2md", true);
  }
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  sink->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ [%n] %v");
  return sink;
}

std::shared_ptr<spdlog::logger> makeLogger(std::string_view name) {
  auto logger = std::make_shared<spdlog::logger>(std::string(name), state().sink);
  logger->set_level(state().level);
  spdlog::register_logger(logger);
  return logger;
}

}  // namespace

void setup(spdlog::level::level_enum level) {
  std::lock_guard lock(state().mutex);
  state().level = level;
  if (!state().sink) state().sink = makeSink();
  for (auto name : kModules) {
    if (auto existing = spdlog::get(std::string(name))) {
      existing->set_level(level);
    } else {
      makeLogger(name);
    }
  }
  auto fallback = spdlog::get("daemon");
  spdlog::set_default_logger(fallback);
}

std::shared_ptr<spdlog::logger> get(std::string_view name) {
  if (auto existing = spdlog::get(std::string(name))) return existing;
  std::lock_guard lock(state().mutex);
  if (!state().sink) state().sink = makeSink();
  return makeLogger(name);
}

std::optional<spdlog::level::level_enum> parseLevel(std::string_view name) {
  constexpr std::array<std::pair<std::string_view, spdlog::level::level_enum>, 7> kLevels{{
      {"trace", spdlog::level::trace},
      {"debug", spdlog::level::debug},
      {"info", spdlog::level::info},
      {"warn", spdlog::level::warn},
      {"error", spdlog::level::err},
      {"critical", spdlog::level::critical},
      {"off", spdlog::level::off},
  }};
  for (const auto& [n, level] : kLevels)
    if (n == name) return level;
  return std::nullopt;
}

}  // namespace lwm2md::log
