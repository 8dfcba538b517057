#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "coap_peer.hpp"
#include "support/child_process.hpp"
#include "support/private_bus.hpp"
#include "support/temp_dir.hpp"

namespace lwm2md::bench {

/// The benchmark object: ten writable Integer resources (0..9) per instance, so that one Set
/// of an instance changes ten observable resources.
constexpr uint16_t kBenchObject = 33000;
constexpr int kBenchResources = 10;

using DbusValues = std::map<uint16_t, sdbus::Variant>;

/// The real lwm2md on a private bus, registered at a CoapPeer on loopback, with the bench
/// object's DDF in its object_dirs. Everything runs on the caller's thread.
class BenchDaemon {
 public:
  struct Settings {
    std::string binary;
    bool notifyConfirmable = false;
    unsigned nstart = 1;            // [coap] nstart: CON messages in flight to the server at once
    std::string logLevel = "warn";  // logging every message would measure the logger
  };

  BenchDaemon() = default;
  ~BenchDaemon();
  BenchDaemon(const BenchDaemon&) = delete;
  BenchDaemon& operator=(const BenchDaemon&) = delete;

  /// Starts the bus and the daemon and waits for the Register; false with error() on failure.
  bool start(const Settings& settings);
  const std::string& error() const { return error_; }

  CoapPeer& peer() { return peer_; }
  const std::string& busAddress() const { return bus_.address(); }
  pid_t pid() const { return daemon_ ? daemon_->pid() : -1; }
  pid_t busPid() const { return bus_.pid(); }
  std::string output() const { return daemon_ ? daemon_->output() : std::string{}; }
  /// A D-Bus connection of the bench process (for calls from the main thread).
  sdbus::IConnection& connection() { return *connection_; }

  /// AddInstance of the bench object on `connection` (which becomes the owner), all ten
  /// resources set to `initial`. The object path, or nullopt with error().
  std::optional<sdbus::ObjectPath> addInstance(sdbus::IConnection& connection, uint16_t instance,
                                               int64_t initial);
  /// Write-Attributes on `path` (e.g. "/33000?pmin=0"): true on 2.04.
  bool writeAttributes(const std::string& path, const std::vector<std::string>& attributes);

 private:
  test::PrivateBus bus_;
  test::TempDir dir_{"lwm2md-bench"};
  CoapPeer peer_;
  std::unique_ptr<sdbus::IConnection> connection_;
  std::unique_ptr<test::DaemonProcess> daemon_;
  std::string error_;
};

/// Values for all ten bench resources.
DbusValues benchValues(int64_t value);

}  // namespace lwm2md::bench
