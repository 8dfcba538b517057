#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "support/child_process.hpp"
#include "support/private_bus.hpp"
#include "support/temp_dir.hpp"
#include "support/test_lwm2m_server.hpp"

namespace lwm2md::bench {

/// Command line shared by the footprint programs.
struct BenchOptions {
  bool smoke = false;   // a seconds-long run that only checks the figures are sane
  bool detail = false;  // extra human-readable lines (largest mappings, per-thread wake-ups)
  std::string daemon;   // the lwm2md binary
  std::string floor;    // footprint_floor, the baseline process
};
/// --smoke, --detail, --daemon PATH, --floor PATH (defaults: $LWM2MD_BINARY, then the build's).
/// nullopt (after printing why to stderr) on a bad command line.
std::optional<BenchOptions> parseFootprintOptions(int argc, char** argv);

using DbusValues = std::map<std::uint16_t, sdbus::Variant>;

/// A private bus, the test LwM2M server on loopback and the real daemon, as the e2e fixture
/// wires them, for programs that are not gtest tests. Single-threaded: the server runs only
/// while this thread pumps it.
class DaemonHarness {
 public:
  explicit DaemonHarness(BenchOptions options);
  ~DaemonHarness();
  DaemonHarness(const DaemonHarness&) = delete;
  DaemonHarness& operator=(const DaemonHarness&) = delete;

  /// False when the bus, the server or the temp dir could not be set up; error() says why.
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  /// The daemon's config: one server (this harness's) with `lifetime` seconds, info logging.
  std::string config(int lifetime) const;
  /// Starts the daemon with config(lifetime) and a fresh state directory. `env` is added to
  /// its environment.
  bool start(int lifetime, const std::map<std::string, std::string>& env = {});
  /// Waits for the next Register the server answered with 2.01.
  std::optional<test::Event> waitRegister(std::chrono::milliseconds timeout);
  /// SIGTERM with the server pumped (so its De-register is answered); true on a clean exit.
  bool stop();
  pid_t pid() const { return daemon_ ? daemon_->pid() : -1; }
  std::string daemonOutput() const { return daemon_ ? daemon_->output() : std::string{}; }

  test::TestLwm2mServer& server() { return server_; }
  const std::string& busAddress() const { return bus_.address(); }
  const BenchOptions& options() const { return options_; }
  /// Where the next start()s keep their state directories (default: the harness's temp dir).
  void setStateRoot(std::string root) { stateRoot_ = std::move(root); }

  /// Keeps the server going for `duration` (waiting in its poll, so this process sleeps),
  /// running `each` (when set) at least every 50 ms.
  void idle(std::chrono::milliseconds duration, const std::function<void()>& each = {});

  // --- The Manager over D-Bus (synchronous; errors become nullopt/false and a note) ---
  /// Waits until the daemon owns its bus name.
  bool waitForBusName(std::chrono::milliseconds timeout);
  std::optional<std::uint16_t> addObjectDefinition(const std::string& ddf);
  bool addInstance(std::uint16_t oid, std::uint16_t iid, const DbusValues& values);
  /// Manager.Register(): a fresh Register with every instance.
  bool registerAgain();

 private:
  std::unique_ptr<sdbus::IProxy> manager();

  BenchOptions options_;
  test::PrivateBus bus_;
  test::TestLwm2mServer server_;
  test::TempDir dir_{"lwm2md-bench"};
  std::unique_ptr<sdbus::IConnection> client_;
  std::unique_ptr<test::DaemonProcess> daemon_;
  int runs_ = 0;
  std::string stateRoot_;
  std::string error_;
};

/// An object definition (OMA DDF XML) with `resources` readable/writable Float resources
/// 0..resources-1 and multiple instances: the shape the memory and scale runs fill.
std::string floatObjectDdf(std::uint16_t oid, int resources);

/// Exit code for "could not measure".
inline constexpr int kCannotMeasure = 2;

}  // namespace lwm2md::bench
