// footprint_idle: what the registered daemon costs while nothing happens. Over a 60 s window
// (--smoke: 3 s) it counts wake-ups (voluntary_ctxt_switches in /proc/PID/task/*/status: each
// is the thread blocking and being woken again; schedstat's timeslices, also reported, count
// preemptions too, which depend on what else the machine runs) and CPU time, and compares the
// wake-ups with the timers that should fire:
// registration Updates (at 0.9 x lifetime) and, in a second run with WATCHDOG_USEC set, the
// watchdog pings the daemon sends to NOTIFY_SOCKET. Each Update costs two wake-ups (the
// timer, then its response, in whose turn the state is saved); each ping one.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <utility>

#include "bench/bench_report.hpp"
#include "daemon_harness.hpp"
#include "proc_stats.hpp"

namespace {

using namespace std::chrono_literals;
using namespace lwm2md::bench;

constexpr int kWakeupsPerUpdate = 2;
constexpr auto kSettle = 1s;

/// A datagram socket standing in for systemd's notification socket: counts WATCHDOG=1 pings.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (fd_ < 0 || path.size() >= sizeof(addr.sun_path)) return;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~NotifySocket() {
    if (fd_ >= 0) ::close(fd_);
    ::unlink(path_.c_str());
  }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;
  bool ok() const { return fd_ >= 0; }

  /// Reads every queued message (bounded) and counts the watchdog pings among them. It must
  /// run often: a full queue (net.unix.max_dgram_qlen, 10 by default) blocks the daemon's
  /// sd_notify(), as it would under a service manager that stopped reading.
  void drain() { pings_ += drainPings(); }
  /// The pings counted by drain() since the last call.
  int takePings() {
    drain();
    return std::exchange(pings_, 0);
  }

 private:
  int drainPings() {
    int pings = 0;
    char buffer[4096];
    for (int i = 0; i < 100000; ++i) {
      const ssize_t n = ::recv(fd_, buffer, sizeof(buffer) - 1, 0);
      if (n < 0) break;
      buffer[n] = '\0';
      if (std::strstr(buffer, "WATCHDOG=1") != nullptr) ++pings;
    }
    return pings;
  }

  std::string path_;
  int fd_ = -1;
  int pings_ = 0;
};

struct Window {
  std::uint64_t wakeups = 0;     // voluntary context switches
  std::uint64_t timeslices = 0;  // every time on a CPU, preemptions included
  std::uint64_t preemptions = 0;
  double cpuMs = 0;
  int updates = 0;
  int pings = 0;
  std::map<std::string, std::uint64_t> byThread;  // "comm (tid)" -> wake-ups
};

int countUpdates(DaemonHarness& harness) {
  int count = 0;
  for (const auto& event : harness.server().events())
    if (event.kind == lwm2md::test::Event::Kind::Update) ++count;
  return count;
}

/// Starts the daemon, waits for its registration to settle, and measures one idle window.
/// With `notify`, the daemon runs under a watchdog of `watchdog` that pings that socket.
std::optional<Window> measure(DaemonHarness& harness, int lifetime,
                              std::chrono::milliseconds window, NotifySocket* notify,
                              const std::string& notifyPath, std::chrono::microseconds watchdog) {
  std::map<std::string, std::string> env;
  if (notify) {
    env["NOTIFY_SOCKET"] = notifyPath;
    env["WATCHDOG_USEC"] = std::to_string(watchdog.count());
  }
  if (!harness.start(lifetime, env) || !harness.waitRegister(10s) || !harness.waitForBusName(10s))
    return std::nullopt;
  harness.idle(kSettle, [notify] {
    if (notify) notify->drain();
  });
  const pid_t pid = harness.pid();
  if (notify) notify->takePings();
  const int updatesBefore = countUpdates(harness);
  const auto tasksBefore = readTasks(pid);

  harness.idle(window, [notify] {
    if (notify) notify->drain();
  });

  const auto tasksAfter = readTasks(pid);
  if (tasksBefore.empty() || tasksAfter.empty()) {
    note("cannot read the daemon's /proc entries");
    return std::nullopt;
  }
  Window result;
  result.updates = countUpdates(harness) - updatesBefore;
  if (notify) notify->drain();  // a ping of the window's last 50 ms is still in the socket
  result.pings = notify ? notify->takePings() : 0;
  for (const auto& after : tasksAfter) {
    TaskSched before;  // a new thread counts whole
    for (const auto& task : tasksBefore) {
      if (task.tid == after.tid) before = task;
    }
    const std::uint64_t woke = after.voluntarySwitches - before.voluntarySwitches;
    const std::uint64_t ranBefore = before.runNs;
    result.timeslices += after.timeslices - before.timeslices;
    result.preemptions += after.involuntarySwitches - before.involuntarySwitches;
    // schedstat's run time is in ns; /proc/PID/stat's ticks (10 ms) would round idle to 0.
    result.cpuMs += static_cast<double>(after.runNs - ranBefore) / 1e6;
    result.wakeups += woke;
    if (woke > 0) result.byThread[fmt::format("{} ({})", after.comm, after.tid)] = woke;
  }
  if (!harness.stop()) note("the daemon did not stop cleanly");
  return result;
}

void reportWindow(const std::string& prefix, const Window& w, double minutes) {
  const auto expected = static_cast<double>(kWakeupsPerUpdate * w.updates + w.pings);
  const double extra = static_cast<double>(w.wakeups) - expected;
  report({"idle", prefix + "wakeups-per-min", static_cast<double>(w.wakeups) / minutes, "1/min",
          std::nullopt, std::nullopt, std::nullopt});
  report({"idle", prefix + "expected-wakeups-per-min", expected / minutes, "1/min", std::nullopt,
          std::nullopt, std::nullopt});
  report({"idle", prefix + "unexplained-wakeups-per-min", extra / minutes, "1/min", std::nullopt,
          "<= 0 (only update/watchdog timers)", extra <= 0});
  report({"idle", prefix + "cpu-per-min", w.cpuMs / minutes, "ms/min", std::nullopt, std::nullopt,
          std::nullopt});
  std::string threads;
  for (const auto& [name, count] : w.byThread) threads += fmt::format(" {}: {};", name, count);
  note(fmt::format(
      "{}window: {} wake-ups, {} Update(s), {} watchdog ping(s), {:.3f} ms CPU; {} timeslices "
      "({} preemptions); threads that woke:{}",
      prefix, w.wakeups, w.updates, w.pings, w.cpuMs, w.timeslices, w.preemptions,
      threads.empty() ? " none" : threads));
}

}  // namespace

int main(int argc, char** argv) {
  auto options = parseFootprintOptions(argc, argv);
  if (!options) return 64;
  // The full window holds one Update (lifetime 60 s: due at 54 s); the smoke window none.
  const auto window =
      options->smoke ? std::chrono::milliseconds(3s) : std::chrono::milliseconds(60s);
  const int lifetime = options->smoke ? 300 : 60;
  const double minutes = std::chrono::duration<double>(window).count() / 60.0;

  DaemonHarness harness(*options);
  if (!harness.ok()) {
    note("cannot set up: " + harness.error());
    return kCannotMeasure;
  }
  // The state directory on tmpfs where there is one: the Update's state save (the session's new
  // expiry, written once per Update, in the wake-up of the Update's response) fsyncs twice,
  // and on a disk each fsync blocks the thread for the device a few times; those are waits
  // for I/O, not wake-ups of the loop, and depend on the disk, not on the daemon.
  std::string tmpfsState = "/dev/shm/lwm2md-bench-XXXXXX";
  if (::mkdtemp(tmpfsState.data()) != nullptr) {
    harness.setStateRoot(tmpfsState);
    note("state directory on tmpfs (" + tmpfsState + "): fsync does not wait for a disk");
  } else {
    tmpfsState.clear();
  }
  struct RemoveAtExit {
    const std::string& dir;
    ~RemoveAtExit() {
      std::error_code ignored;
      if (!dir.empty()) std::filesystem::remove_all(dir, ignored);
    }
  } removeAtExit{tmpfsState};
  auto plain = measure(harness, lifetime, window, nullptr, {}, {});
  if (!plain) return kCannotMeasure;
  reportWindow("", *plain, minutes);

  // Under a watchdog of 2 s the daemon should ping about once a second (sd_watchdog_enabled
  // convention: half the interval), and wake for nothing else.
  lwm2md::test::TempDir dir("lwm2md-bench-notify");
  const std::string notifyPath = dir.file("notify");
  NotifySocket notify(notifyPath);
  if (!notify.ok()) {
    note("cannot bind a notification socket");
    return kCannotMeasure;
  }
  auto watched = measure(harness, lifetime, window, &notify, notifyPath, 2s);
  if (!watched) return kCannotMeasure;
  reportWindow("watchdog-", *watched, minutes);
  report({"idle", "watchdog-pings-per-min", watched->pings / minutes, "1/min", std::nullopt,
          std::nullopt, std::nullopt});

  // Sane: the daemon was alive and measured (a registered daemon answers nothing while idle,
  // so zero wake-ups are possible; negative or absurd counts are not).
  const bool sane = plain->cpuMs >= 0 && watched->cpuMs >= 0 && plain->wakeups < 1000000 &&
                    watched->wakeups < 1000000;
  if (!sane) {
    std::fprintf(stderr, "footprint_idle: figures not sane\n");
    return kCannotMeasure;
  }
  return 0;
}
