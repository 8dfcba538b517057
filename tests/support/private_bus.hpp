#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>

#include "child_process.hpp"
#include "temp_dir.hpp"

namespace lwm2md::test {

/// A dbus-daemon of the tests' own, so no test depends on (or disturbs) a session or system bus.
/// It listens on a socket in a temp dir, allows everything to everyone, and is killed and reaped
/// by the destructor.
class PrivateBus {
 public:
  /// `extraConfig` is inserted into the <busconfig> element as is (an <include> of a policy file,
  /// say). Waits up to `startTimeout` for the daemon to print its address.
  explicit PrivateBus(const std::string& extraConfig = {},
                      std::chrono::milliseconds startTimeout = std::chrono::seconds(10));
  ~PrivateBus();
  PrivateBus(const PrivateBus&) = delete;
  PrivateBus& operator=(const PrivateBus&) = delete;

  /// True once the daemon is up and address() is known; error() says why not.
  bool ok() const { return !address_.empty(); }
  const std::string& error() const { return error_; }
  /// For sdbus::createSessionBusConnectionWithAddress() or DBUS_SESSION_BUS_ADDRESS.
  const std::string& address() const { return address_; }
  pid_t pid() const { return process_ ? process_->pid() : -1; }
  /// dbus-daemon's own messages (empty while it is quiet).
  std::string output() const { return process_ ? process_->output() : std::string{}; }

 private:
  TempDir dir_{"lwm2md-bus"};
  std::unique_ptr<ChildProcess> process_;
  std::string address_;
  std::string error_;
};

}  // namespace lwm2md::test
