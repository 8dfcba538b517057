#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/result.hpp"

namespace lwm2md {

/// lwm2md [--config FILE] [--session-bus | --bus-address ADDR] [--state-dir DIR]
///        [--log-level LEVEL] [--version] [--help]
struct CommandLine {
  enum class Bus { System, Session, Address };
  std::optional<std::string> configFile;
  Bus bus = Bus::System;
  std::string busAddress;
  std::optional<std::string> stateDir;
  std::optional<std::string> logLevel;
  bool showVersion = false;
  bool showHelp = false;
};

/// Parses argv (without argv[0]). Errors name the offending argument: the caller prints it with
/// the usage text and exits 64 (EX_USAGE).
Result<CommandLine> parseCommandLine(const std::vector<std::string>& args);

/// The --help text.
std::string usageText();

struct Config;
/// Lets --state-dir and --log-level override the config file's state_dir and log_level
/// (call after every load, including a SIGHUP reload).
void applyCommandLine(const CommandLine& commandLine, Config& config);

}  // namespace lwm2md
