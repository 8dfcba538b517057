#include "config/cli.hpp"

#include <fmt/format.h>

#include "config/config.hpp"

namespace lwm2md {

namespace {

Error usageError(std::string message) {
  return badRequest(std::move(message));
}

enum class Option { Config, SessionBus, BusAddress, StateDir, LogLevel, Version, Help };

struct OptionSpec {
  std::string_view name;
  Option option;
  bool takesValue;
};

constexpr OptionSpec kOptions[] = {
    {"--config", Option::Config, true},
    {"--session-bus", Option::SessionBus, false},
    {"--bus-address", Option::BusAddress, true},
    {"--state-dir", Option::StateDir, true},
    {"--log-level", Option::LogLevel, true},
    {"--version", Option::Version, false},
    {"--help", Option::Help, false},
};

const OptionSpec* findOption(std::string_view name) {
  for (const OptionSpec& spec : kOptions) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

}  // namespace

Result<CommandLine> parseCommandLine(const std::vector<std::string>& args) {
  CommandLine out;
  std::vector<Option> seen;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!arg.starts_with("--") || arg == "--") {
      return usageError(
          fmt::format("unexpected argument '{}': lwm2md takes no positional "
                      "arguments",
                      arg));
    }
    const std::size_t eq = arg.find('=');
    const std::string_view name = std::string_view(arg).substr(0, eq);
    const OptionSpec* spec = findOption(name);
    if (spec == nullptr) return usageError(fmt::format("unknown option '{}'", name));

    std::string value;
    if (eq != std::string::npos) {
      if (!spec->takesValue) return usageError(fmt::format("option '{}' takes no value", name));
      value = arg.substr(eq + 1);
    } else if (spec->takesValue) {
      // "--config --session-bus" is far more likely a forgotten value than a file name
      // starting with "--"; such a file can still be given as --config=--file.
      if (i + 1 >= args.size() || args[i + 1].starts_with("--")) {
        return usageError(fmt::format("option '{}' needs a value", name));
      }
      value = args[++i];
    }
    if (spec->takesValue && value.empty()) {
      return usageError(fmt::format("option '{}' needs a non-empty value", name));
    }
    for (Option done : seen) {
      if (done == spec->option) return usageError(fmt::format("option '{}' given twice", name));
    }
    seen.push_back(spec->option);

    switch (spec->option) {
      case Option::Config:
        out.configFile = value;
        break;
      case Option::SessionBus:
        if (out.bus == CommandLine::Bus::Address) {
          return usageError("'--session-bus' cannot be combined with '--bus-address'");
        }
        out.bus = CommandLine::Bus::Session;
        break;
      case Option::BusAddress:
        if (out.bus == CommandLine::Bus::Session) {
          return usageError("'--bus-address' cannot be combined with '--session-bus'");
        }
        out.bus = CommandLine::Bus::Address;
        out.busAddress = value;
        break;
      case Option::StateDir:
        out.stateDir = value;
        break;
      case Option::LogLevel:
        if (!isLogLevel(value)) {
          return usageError(fmt::format(
              "option '--log-level': '{}' is not one of trace, debug, info, warn, error, "
              "critical, off",
              value));
        }
        out.logLevel = value;
        break;
      case Option::Version:
        out.showVersion = true;
        break;
      case Option::Help:
        out.showHelp = true;
        break;
    }
  }
  return out;
}

std::string usageText() {
  return "Usage: lwm2md [OPTION]...\n"
         "OMA LwM2M 1.1 client daemon.\n"
         "\n"
         "  --config FILE        configuration file (default: /etc/lwm2md/lwm2md.toml)\n"
         "  --session-bus        serve on the session bus instead of the system bus\n"
         "  --bus-address ADDR   serve on the D-Bus bus at ADDR (not with --session-bus)\n"
         "  --state-dir DIR      keep persistent state in DIR (overrides state_dir)\n"
         "  --log-level LEVEL    trace, debug, info, warn, error, critical or off\n"
         "                       (overrides log_level)\n"
         "  --version            print the version and exit\n"
         "  --help               print this help and exit\n"
         "\n"
         "Every option also accepts the --option=VALUE form.\n";
}

void applyCommandLine(const CommandLine& commandLine, Config& config) {
  if (commandLine.stateDir) config.stateDir = *commandLine.stateDir;
  if (commandLine.logLevel) config.logLevel = *commandLine.logLevel;
}

}  // namespace lwm2md
