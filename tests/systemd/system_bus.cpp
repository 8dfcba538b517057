#include "system_bus.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <thread>

namespace lwm2md::test {

namespace {

std::string configText(const std::string& socketPath, const std::string& defaultPolicy,
                       const std::string& policyFile, const std::string& servicesDir) {
  std::string text =
      "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
      " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
      "<busconfig>\n"
      "  <type>system</type>\n"
      "  <listen>unix:path=" +
      socketPath +
      "</listen>\n"
      "  <auth>EXTERNAL</auth>\n" +
      defaultPolicy + "\n  <include>" + policyFile + "</include>\n";
  if (!servicesDir.empty()) text += "  <servicedir>" + servicesDir + "</servicedir>\n";
  // No <user>: the daemon stays root, as the test that starts it (it checks peers' credentials,
  // not its own).
  return text + "</busconfig>\n";
}

}  // namespace

std::string defaultPolicyElement(const std::string& configText) {
  const std::string open = "<policy context=\"default\">";
  const std::string close = "</policy>";
  const auto start = configText.find(open);
  if (start == std::string::npos) return {};
  const auto end = configText.find(close, start);
  if (end == std::string::npos) return {};
  return configText.substr(start, end + close.size() - start);
}

SystemTypeBus::SystemTypeBus(const std::string& policyFile, const std::string& stockConfig,
                             const std::string& servicesDir,
                             std::chrono::milliseconds startTimeout) {
  if (!dir_.ok()) {
    error_ = "cannot create a temp dir";
    return;
  }
  ::chmod(dir_.path().c_str(), 0755);
  const auto stock = readFile(stockConfig);
  const std::string defaultPolicy = stock ? defaultPolicyElement(*stock) : std::string{};
  if (defaultPolicy.empty()) {
    error_ = "no <policy context=\"default\"> in " + stockConfig;
    return;
  }
  const std::string socketPath = dir_.file("system_bus_socket");
  const std::string configPath = dir_.file("bus.conf");
  if (!writeFile(configPath, configText(socketPath, defaultPolicy, policyFile, servicesDir))) {
    error_ = "cannot write " + configPath;
    return;
  }
  process_ = std::make_unique<ChildProcess>(
      "dbus-daemon",
      std::vector<std::string>{"--config-file=" + configPath, "--nofork", "--nopidfile"});
  if (!process_->started()) {
    error_ = process_->error();
    return;
  }
  // The socket appears once the configuration is loaded (a bad policy file ends the daemon).
  const auto deadline = std::chrono::steady_clock::now() + startTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    struct stat st {};
    if (::stat(socketPath.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) {
      address_ = "unix:path=" + socketPath;
      return;
    }
    if (!process_->running()) {
      error_ = "dbus-daemon exited: " + process_->output();
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  error_ = "dbus-daemon made no socket in time: " + process_->output();
}

SystemTypeBus::~SystemTypeBus() {
  if (process_) process_->terminate(std::chrono::seconds(2));
}

}  // namespace lwm2md::test
