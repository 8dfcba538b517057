// footprint_startup: process start -> the server has answered the daemon's Register with 2.01,
// median and p90 over 20 runs, next to the same figure for footprint_floor --exit (a process
// with the same libraries that connects to the bus and has one POST /rd answered) and, for
// scale, a bare spawn and exit of /bin/true.
#include <spawn.h>
#include <sys/wait.h>

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <vector>

#include "bench/bench_report.hpp"
#include "daemon_harness.hpp"

extern char** environ;

namespace {

using namespace std::chrono_literals;
using namespace lwm2md::bench;
using Clock = std::chrono::steady_clock;

constexpr double kTargetMs = 10;

double msSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// posix_spawn + a blocking waitpid: the cheapest "process start -> done" there is.
std::optional<double> spawnTrue() {
  char program[] = "/bin/true";
  char* argv[] = {program, nullptr};
  const auto start = Clock::now();
  pid_t pid = -1;
  if (::posix_spawn(&pid, program, nullptr, nullptr, argv, environ) != 0) return std::nullopt;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return std::nullopt;
  }
  return msSince(start);
}

// footprint_floor --exit: start -> its POST /rd answered by the server.
std::optional<double> floorRun(DaemonHarness& harness) {
  lwm2md::test::ChildOptions options;
  options.program = harness.options().floor;
  options.args = {"--bus", harness.busAddress(), "--server", harness.server().uri(), "--exit"};
  const auto start = Clock::now();
  lwm2md::test::ChildProcess floor(options);
  if (!floor.started()) {
    note("cannot start footprint_floor: " + floor.error());
    return std::nullopt;
  }
  auto reg = harness.server().waitForEvent(lwm2md::test::Event::Kind::Register, 10s);
  const double ms = msSince(start);
  auto code = floor.waitExit(5s, [&] { harness.server().pump(5ms); });
  if (!reg || !code || *code != 0) {
    note("footprint_floor failed: " + floor.output());
    return std::nullopt;
  }
  return ms;
}

std::optional<double> daemonRun(DaemonHarness& harness) {
  const auto start = Clock::now();
  if (!harness.start(300)) return std::nullopt;
  auto reg = harness.waitRegister(10s);
  const double ms = msSince(start);
  if (!harness.stop() || !reg) return std::nullopt;
  return ms;
}

void reportSeries(const std::string& metric, std::vector<double> daemon, std::vector<double> floor,
                  double q, bool withTarget) {
  const double value = percentile(daemon, q);
  report({"startup", metric, value, "ms", percentile(floor, q),
          withTarget ? std::optional<std::string>("<= 10 ms") : std::nullopt,
          withTarget ? std::optional<bool>(value <= kTargetMs) : std::nullopt});
}

}  // namespace

int main(int argc, char** argv) {
  auto options = parseFootprintOptions(argc, argv);
  if (!options) return 64;
  const int runs = options->smoke ? 3 : 20;
  DaemonHarness harness(*options);
  if (!harness.ok()) {
    note("cannot set up: " + harness.error());
    return kCannotMeasure;
  }

  std::vector<double> spawn, floor, daemon;
  // Interleaved, so that anything slowing the machine for a while hits all three alike.
  for (int run = 0; run < runs; ++run) {
    auto t = spawnTrue();
    auto f = floorRun(harness);
    auto d = daemonRun(harness);
    if (!t || !f || !d) {
      note(fmt::format("run {} failed", run));
      return kCannotMeasure;
    }
    spawn.push_back(*t);
    floor.push_back(*f);
    daemon.push_back(*d);
    if (options->detail)
      note(fmt::format("run {}: /bin/true {:.2f} ms, floor {:.2f} ms, daemon {:.2f} ms", run, *t,
                       *f, *d));
  }
  reportSeries("register-p50", daemon, floor, 0.5, true);
  reportSeries("register-p90", daemon, floor, 0.9, false);
  // On a busy machine the minimum is the steadiest figure: nothing makes a run faster.
  report({"startup", "register-min", percentile(daemon, 0.0), "ms", percentile(floor, 0.0),
          std::nullopt, std::nullopt});
  report({"startup", "register-max", percentile(daemon, 1.0), "ms", percentile(floor, 1.0),
          std::nullopt, std::nullopt});
  report({"startup", "spawn-true-p50", percentile(spawn, 0.5), "ms", std::nullopt, std::nullopt,
          std::nullopt});

  const bool sane = percentile(daemon, 0.0) > 0 && percentile(floor, 0.0) > 0 &&
                    percentile(spawn, 0.0) > 0 && static_cast<int>(daemon.size()) == runs;
  if (!sane) {
    std::fprintf(stderr, "footprint_startup: figures not sane\n");
    return kCannotMeasure;
  }
  return 0;
}
