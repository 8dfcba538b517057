// lwm2md: an OMA LwM2M client daemon. This file only turns argv into a config and hands over.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "app/daemon.hpp"
#include "build_config.hpp"
#include "config/cli.hpp"
#include "config/config.hpp"

int main(int argc, char** argv) {
  using namespace lwm2md;
  std::vector<std::string> args(argv + 1, argv + argc);
  auto commandLine = parseCommandLine(args);
  if (!commandLine) {
    std::fprintf(stderr, "lwm2md: %s\n\n%s", commandLine.error().message.c_str(),
                 usageText().c_str());
    return kExitUsage;
  }
  if (commandLine->showHelp) {
    std::fputs(usageText().c_str(), stdout);
    return kExitOk;
  }
  if (commandLine->showVersion) {
    std::printf("lwm2md %s\n", LWM2MD_VERSION);
    return kExitOk;
  }
  const std::filesystem::path configFile =
      commandLine->configFile.value_or(std::string(LWM2MD_SYSCONF_DIR) + "/lwm2md.toml");
  auto config = loadConfig(configFile);
  if (!config) {
    std::fprintf(stderr, "lwm2md: bad configuration: %s\n", config.error().message.c_str());
    return kExitConfig;
  }
  applyCommandLine(*commandLine, *config);
  return runDaemon(*config, *commandLine);
}
