#pragma once

#include "config/cli.hpp"
#include "config/config.hpp"

namespace lwm2md {

/// Exit codes of lwm2md (sysexits.h where one fits).
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,
  kExitUsage = 64,        // EX_USAGE: bad command line
  kExitUnavailable = 69,  // EX_UNAVAILABLE: the bus or the name cannot be had
  kExitConfig = 78,       // EX_CONFIG: bad configuration
};

/// Builds the daemon from a loaded config and runs its loop until SIGTERM/SIGINT.
/// Returns the process exit code.
int runDaemon(const Config& config, const CommandLine& commandLine);

}  // namespace lwm2md
