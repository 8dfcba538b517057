// Example provider: a process on the gateway that publishes a temperature sensor (IPSO 3303)
// through lwm2md with liblwm2md-provider, updates it once a second, and reacts to what servers
// do: a write of the application type, an execute of "reset min/max".
//
//   lwm2md-example-temperature [--bus-address ADDR] [--seconds N] [--interval-ms MS]
//
// It keeps its D-Bus connection for as long as it runs: when it exits, lwm2md removes the
// instance and tells the servers. Its loop shows the library's event-loop hook: it polls the
// provider's fd together with a signalfd of its own.
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <lwm2md/provider.hpp>
#include <string>

namespace {

using lwm2md::provider::Value;
using Clock = std::chrono::steady_clock;

constexpr std::uint16_t kTemperature = 3303;
constexpr std::uint16_t kSensorValue = 5700;
constexpr std::uint16_t kMinMeasured = 5601;
constexpr std::uint16_t kMaxMeasured = 5602;
constexpr std::uint16_t kResetMinMax = 5605;
constexpr std::uint16_t kUnits = 5701;
constexpr std::uint16_t kApplicationType = 5750;

struct Options {
  std::string busAddress;
  double seconds = 0;  // 0: until SIGTERM/SIGINT
  int intervalMs = 1000;
};

bool parse(int argc, char** argv, Options& options) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) return false;
    if (arg == "--bus-address") {
      options.busAddress = argv[++i];
    } else if (arg == "--seconds") {
      options.seconds = std::atof(argv[++i]);
    } else if (arg == "--interval-ms") {
      options.intervalMs = std::atoi(argv[++i]);
    } else {
      return false;
    }
  }
  return options.intervalMs > 0;
}

/// A made-up but plausible reading: a slow swing around 21 °C, in steps of 0.25 °C (a typical
/// sensor resolution, and exact in a 4-byte float, which some servers' TLV decoders require).
double sample(double t) {
  return std::round((21.0 + 2.5 * std::sin(t / 20.0)) * 4) / 4;
}

void fail(const lwm2md::provider::Error& error) {
  std::fprintf(stderr, "provider: %s: %s\n", error.name.c_str(), error.message.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse(argc, argv, options)) {
    std::fprintf(stderr, "usage: %s [--bus-address ADDR] [--seconds N] [--interval-ms MS]\n",
                 argv[0]);
    return 64;
  }
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  const int signalFd = signalfd(-1, &mask, SFD_CLOEXEC);

  using lwm2md::provider::Bus;
  auto connected = lwm2md::provider::Provider::connect(
      options.busAddress.empty() ? Bus::session() : Bus::at(options.busAddress));
  if (!connected) {
    fail(connected.error());
    return 1;
  }
  auto& provider = **connected;
  const auto start = Clock::now();
  double value = sample(0);
  double minSeen = value;
  double maxSeen = value;
  auto sensor = provider.addInstance(kTemperature, lwm2md::provider::kAnyInstance,
                                     {{kSensorValue, Value::floating(value)},
                                      {kMinMeasured, Value::floating(minSeen)},
                                      {kMaxMeasured, Value::floating(maxSeen)},
                                      {kUnits, Value::string("Cel")},
                                      {kApplicationType, Value::string("room")}});
  if (!sensor) {
    fail(sensor.error());
    return 1;
  }
  const std::uint16_t iid = sensor->instanceId;
  std::printf("provider: published %s (%.2f Cel)\n", sensor->path.c_str(), value);
  std::fflush(stdout);

  bool failed = false;
  auto set = [&](const lwm2md::provider::Values& values) {
    if (auto status = provider.set(kTemperature, iid, values); !status) {
      fail(status.error());
      failed = true;
    }
  };
  provider.onWritten([](std::uint16_t, std::uint16_t, const lwm2md::provider::Values& written) {
    for (const auto& [rid, v] : written) {
      if (auto text = v.asString())
        std::printf("provider: server wrote %u = \"%s\"\n", rid, text->c_str());
      else
        std::printf("provider: server wrote %u\n", rid);
    }
    std::fflush(stdout);
  });
  provider.onExecuted(
      [&](std::uint16_t, std::uint16_t, std::uint16_t rid, const std::string& args) {
        std::printf("provider: server executed %u (%s)\n", rid, args.c_str());
        std::fflush(stdout);
        if (rid == kResetMinMax) {
          minSeen = maxSeen = value;
          set({{kMinMeasured, Value::floating(minSeen)}, {kMaxMeasured, Value::floating(maxSeen)}});
        }
      });

  auto nextSample = Clock::now() + std::chrono::milliseconds(options.intervalMs);
  const auto deadline =
      options.seconds > 0
          ? start + std::chrono::milliseconds(static_cast<long>(options.seconds * 1000))
          : Clock::time_point::max();
  while (!failed) {
    if (auto status = provider.process(); !status) {
      fail(status.error());
      return 1;
    }
    const auto now = Clock::now();
    if (now >= deadline) break;
    if (now >= nextSample) {
      const double t = std::chrono::duration<double>(now - start).count();
      value = sample(t * 10);
      minSeen = std::min(minSeen, value);
      maxSeen = std::max(maxSeen, value);
      set({{kSensorValue, Value::floating(value)},
           {kMinMeasured, Value::floating(minSeen)},
           {kMaxMeasured, Value::floating(maxSeen)}});
      nextSample += std::chrono::milliseconds(options.intervalMs);
      continue;
    }
    const auto wake = std::min(nextSample, deadline);
    const auto poll = provider.pollData();
    pollfd fds[2] = {{poll.fd, poll.events, 0}, {signalFd, POLLIN, 0}};
    auto waitMs = std::chrono::duration_cast<std::chrono::milliseconds>(wake - now).count() + 1;
    if (poll.timeoutMs >= 0) waitMs = std::min<long>(waitMs, poll.timeoutMs);
    ::poll(fds, 2, static_cast<int>(waitMs));
    if (fds[1].revents & POLLIN) break;
  }
  std::printf("provider: leaving\n");
  close(signalFd);
  return failed ? 1 : 0;
}
