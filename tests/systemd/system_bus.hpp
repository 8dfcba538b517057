#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "child_process.hpp"
#include "temp_dir.hpp"

namespace lwm2md::test {

/// A private dbus-daemon of type "system" with the distribution's default policy: everything
/// the stock system.conf denies stays denied, except what `policyFile` opens. Unlike
/// PrivateBus (which allows everything), it shows what a policy file really grants. Any user
/// may connect (the socket's directory is 0755). Killed and reaped by the destructor.
class SystemTypeBus {
 public:
  /// `stockConfig` is the distribution's system.conf: its first <policy context="default">
  /// element is copied. `servicesDir` (optional) becomes a <servicedir>.
  SystemTypeBus(const std::string& policyFile, const std::string& stockConfig,
                const std::string& servicesDir = {},
                std::chrono::milliseconds startTimeout = std::chrono::seconds(10));
  ~SystemTypeBus();
  SystemTypeBus(const SystemTypeBus&) = delete;
  SystemTypeBus& operator=(const SystemTypeBus&) = delete;

  bool ok() const { return !address_.empty(); }
  const std::string& error() const { return error_; }
  /// "unix:path=...": for busctl --address= and lwm2md --bus-address.
  const std::string& address() const { return address_; }
  /// dbus-daemon's own messages.
  std::string output() const { return process_ ? process_->output() : std::string{}; }

 private:
  TempDir dir_{"lwm2md-sysbus"};
  std::unique_ptr<ChildProcess> process_;
  std::string address_;
  std::string error_;
};

/// The first `<policy context="default">...</policy>` element of a bus configuration text, or ""
/// when there is none.
std::string defaultPolicyElement(const std::string& configText);

}  // namespace lwm2md::test
