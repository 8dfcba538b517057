// Example callback provider: a temperature sensor (IPSO 3303) whose values lwm2md never caches.
// Every LwM2M Read of the instance becomes a call into this process, which samples the "sensor"
// at that moment; a server's Write and Execute arrive as calls too, and this process decides
// whether to accept them. Compare lwm2md-example-temperature, which pushes values with set().
//
//   lwm2md-example-callback [--bus-address ADDR] [--seconds N]
//
// What it answers:
//   Read     5700 Sensor Value (sampled now), 5601/5602 Min/Max Measured Value (over the
//            samples read so far), 5701 Sensor Units "Cel", 5750 Application Type
//   Write    5750 Application Type (a string of at most 32 bytes; anything else is refused)
//   Execute  5605 Reset Min and Max Measured Values
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <lwm2md/provider.hpp>
#include <string>

namespace {

namespace lp = lwm2md::provider;
using lp::Value;
using Clock = std::chrono::steady_clock;

constexpr std::uint16_t kTemperature = 3303;
constexpr std::uint16_t kSensorValue = 5700;
constexpr std::uint16_t kMinMeasured = 5601;
constexpr std::uint16_t kMaxMeasured = 5602;
constexpr std::uint16_t kResetMinMax = 5605;
constexpr std::uint16_t kUnits = 5701;
constexpr std::uint16_t kApplicationType = 5750;
constexpr std::size_t kMaxApplicationType = 32;

struct Options {
  std::string busAddress;
  double seconds = 0;  // 0: until SIGTERM/SIGINT
};

bool parse(int argc, char** argv, Options& options) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) return false;
    if (arg == "--bus-address")
      options.busAddress = argv[++i];
    else if (arg == "--seconds")
      options.seconds = std::atof(argv[++i]);
    else
      return false;
  }
  return true;
}

void fail(const lp::Error& error) {
  std::fprintf(stderr, "callback provider: %s: %s\n", error.name.c_str(), error.message.c_str());
}

/// The "hardware": a slow swing around 21 °C in steps of 0.25 °C, read when asked.
class Sensor {
 public:
  double sample() {
    const double t = std::chrono::duration<double>(Clock::now() - start_).count();
    const double value = std::round((21.0 + 2.5 * std::sin(t / 2.0)) * 4) / 4;
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
    return value;
  }
  void resetMinMax() { min_ = max_ = sample(); }
  double min() const { return min_; }
  double max() const { return max_; }

 private:
  Clock::time_point start_ = Clock::now();
  double min_ = 1e9;
  double max_ = -1e9;
};

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse(argc, argv, options)) {
    std::fprintf(stderr, "usage: %s [--bus-address ADDR] [--seconds N]\n", argv[0]);
    return 64;
  }
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  const int signalFd = signalfd(-1, &mask, SFD_CLOEXEC);

  auto connected = lp::Provider::connect(
      options.busAddress.empty() ? lp::Bus::session() : lp::Bus::at(options.busAddress));
  if (!connected) {
    fail(connected.error());
    return 1;
  }
  auto& provider = **connected;
  Sensor sensor;
  sensor.resetMinMax();
  std::string applicationType = "room";

  lp::CallbackHandlers handlers;
  handlers.read = [&](std::uint16_t, std::uint16_t,
                      const std::vector<std::uint16_t>&) -> lp::Result<lp::Values> {
    // Every resource, whatever was asked: the daemon keeps what the server asked for.
    const double value = sensor.sample();
    return lp::Values{{kSensorValue, Value::floating(value)},
                      {kMinMeasured, Value::floating(sensor.min())},
                      {kMaxMeasured, Value::floating(sensor.max())},
                      {kUnits, Value::string("Cel")},
                      {kApplicationType, Value::string(applicationType)}};
  };
  handlers.write = [&](std::uint16_t, std::uint16_t, const lp::Values& values,
                       bool /*replace*/) -> lp::Status {
    // Check everything first: a refused write changes nothing.
    for (const auto& [rid, v] : values) {
      if (rid != kApplicationType)
        return lp::Error{lp::errors::kNotPermitted,
                         "resource " + std::to_string(rid) + " is read-only here"};
      if (!v.asString() || v.asString()->size() > kMaxApplicationType)
        return lp::Error{lp::errors::kInvalidValue, "Application Type takes at most 32 bytes"};
    }
    if (auto it = values.find(kApplicationType); it != values.end()) {
      applicationType = *it->second.asString();
      std::printf("callback provider: application type is now \"%s\"\n", applicationType.c_str());
      std::fflush(stdout);
    }
    return {};
  };
  handlers.execute = [&](std::uint16_t, std::uint16_t, std::uint16_t rid,
                         const std::string&) -> lp::Status {
    if (rid != kResetMinMax)
      return lp::Error{lp::errors::kNotFound,
                       "resource " + std::to_string(rid) + " is not executable here"};
    sensor.resetMinMax();
    std::printf("callback provider: min/max reset\n");
    std::fflush(stdout);
    return {};
  };

  auto added = provider.addCallbackInstance(kTemperature, lp::kAnyInstance, std::move(handlers));
  if (!added) {
    fail(added.error());
    return 1;
  }
  std::printf("callback provider: published %s\n", added->path.c_str());
  std::fflush(stdout);

  const auto deadline =
      options.seconds > 0
          ? Clock::now() + std::chrono::milliseconds(static_cast<long>(options.seconds * 1000))
          : Clock::time_point::max();
  for (;;) {
    if (auto status = provider.process(); !status) {
      fail(status.error());
      return 1;
    }
    const auto now = Clock::now();
    if (now >= deadline) break;
    const auto poll = provider.pollData();
    pollfd fds[2] = {{poll.fd, poll.events, 0}, {signalFd, POLLIN, 0}};
    long waitMs =
        deadline == Clock::time_point::max()
            ? 60000
            : std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1;
    if (poll.timeoutMs >= 0) waitMs = std::min<long>(waitMs, poll.timeoutMs);
    ::poll(fds, 2, static_cast<int>(waitMs));
    if (fds[1].revents & POLLIN) break;
  }
  std::printf("callback provider: leaving\n");
  close(signalFd);
  return 0;
}
