// Example callback provider: temperature sensors (IPSO 3303) whose values lwm2md never caches.
// Every LwM2M Read of an instance becomes a call into this process, which samples the "sensor"
// at that moment; a server's Write and Execute arrive as calls too, and this process decides
// whether to accept them. Compare lwm2md-example-temperature, which pushes values with set().
//
// It also owns object 3303 whole (provideObject): a server may Create more sensors (each a
// simulated probe of its own, Application Type taken from the Create payload) and Delete them
// again; the first sensor, published at start-up, refuses to be deleted.
//
//   lwm2md-example-callback [--bus-address ADDR] [--seconds N]
//
// What each sensor answers:
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
#include <map>
#include <memory>
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

/// The "hardware": a slow swing around 21 °C in steps of 0.25 °C, read when asked. `phase`
/// keeps several probes apart.
class Sensor {
 public:
  explicit Sensor(double phase = 0) : phase_(phase) {}
  double sample() {
    const double t = std::chrono::duration<double>(Clock::now() - start_).count();
    const double value = std::round((21.0 + 2.5 * std::sin(t / 2.0 + phase_)) * 4) / 4;
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
    return value;
  }
  void resetMinMax() { min_ = max_ = sample(); }
  double min() const { return min_; }
  double max() const { return max_; }

 private:
  double phase_;
  Clock::time_point start_ = Clock::now();
  double min_ = 1e9;
  double max_ = -1e9;
};

/// One published instance: its probe and its writable setting.
struct Probe {
  Sensor sensor;
  std::string applicationType;
};

lp::Status checkApplicationType(const lp::Value& value) {
  if (!value.asString() || value.asString()->size() > kMaxApplicationType)
    return lp::Error{lp::errors::kInvalidValue, "Application Type takes at most 32 bytes"};
  return {};
}

/// The Read/Write/Execute handlers of one probe (which must outlive them).
lp::CallbackHandlers handlersFor(Probe& probe) {
  lp::CallbackHandlers handlers;
  handlers.read = [&probe](std::uint16_t, std::uint16_t,
                           const std::vector<std::uint16_t>&) -> lp::Result<lp::Values> {
    // Every resource, whatever was asked: the daemon keeps what the server asked for.
    const double value = probe.sensor.sample();
    return lp::Values{{kSensorValue, Value::floating(value)},
                      {kMinMeasured, Value::floating(probe.sensor.min())},
                      {kMaxMeasured, Value::floating(probe.sensor.max())},
                      {kUnits, Value::string("Cel")},
                      {kApplicationType, Value::string(probe.applicationType)}};
  };
  handlers.write = [&probe](std::uint16_t, std::uint16_t iid, const lp::Values& values,
                            bool /*replace*/) -> lp::Status {
    // Check everything first: a refused write changes nothing.
    for (const auto& [rid, v] : values) {
      if (rid != kApplicationType)
        return lp::Error{lp::errors::kNotPermitted,
                         "resource " + std::to_string(rid) + " is read-only here"};
      if (auto ok = checkApplicationType(v); !ok) return ok;
    }
    if (auto it = values.find(kApplicationType); it != values.end()) {
      probe.applicationType = *it->second.asString();
      std::printf("callback provider: /3303/%u application type is now \"%s\"\n", iid,
                  probe.applicationType.c_str());
      std::fflush(stdout);
    }
    return {};
  };
  handlers.execute = [&probe](std::uint16_t, std::uint16_t, std::uint16_t rid,
                              const std::string&) -> lp::Status {
    if (rid != kResetMinMax)
      return lp::Error{lp::errors::kNotFound,
                       "resource " + std::to_string(rid) + " is not executable here"};
    probe.sensor.resetMinMax();
    std::printf("callback provider: min/max reset\n");
    std::fflush(stdout);
    return {};
  };
  return handlers;
}

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
  // By instance id. Probes are never moved: their handlers refer to them.
  std::map<std::uint16_t, std::unique_ptr<Probe>> probes;
  auto first = std::make_unique<Probe>(Probe{Sensor(), "room"});
  first->sensor.resetMinMax();
  auto added = provider.addCallbackInstance(kTemperature, lp::kAnyInstance, handlersFor(*first));
  if (!added) {
    fail(added.error());
    return 1;
  }
  const std::uint16_t firstId = added->instanceId;
  probes.emplace(firstId, std::move(first));
  std::printf("callback provider: published %s\n", added->path.c_str());

  // The whole object: servers' Create and Delete of 3303 instances come here.
  lp::ObjectHandlers object;
  object.create = [&](std::uint16_t, std::uint16_t iid,
                      const lp::Values& values) -> lp::Result<lp::CallbackHandlers> {
    if (probes.contains(iid))
      return lp::Error{lp::errors::kAlreadyExists, "probe " + std::to_string(iid) + " exists"};
    auto probe = std::make_unique<Probe>(Probe{Sensor(iid), "probe " + std::to_string(iid)});
    if (auto it = values.find(kApplicationType); it != values.end()) {
      if (auto ok = checkApplicationType(it->second); !ok) return ok.error();
      probe->applicationType = *it->second.asString();
    }
    probe->sensor.resetMinMax();
    auto handlers = handlersFor(*probe);
    probes.emplace(iid, std::move(probe));
    std::printf("callback provider: a server created /3303/%u\n", iid);
    std::fflush(stdout);
    return handlers;
  };
  object.remove = [&](std::uint16_t, std::uint16_t iid) -> lp::Status {
    if (iid == firstId)
      return lp::Error{lp::errors::kNotPermitted, "the built-in sensor cannot be deleted"};
    if (probes.erase(iid) == 0)
      return lp::Error{lp::errors::kNotFound, "no probe " + std::to_string(iid)};
    std::printf("callback provider: a server deleted /3303/%u\n", iid);
    std::fflush(stdout);
    return {};
  };
  if (auto provided = provider.provideObject(kTemperature, std::move(object)); !provided) {
    // Somebody else has 3303 instances: serve the one sensor all the same.
    fail(provided.error());
  } else {
    std::printf("callback provider: servers may create and delete 3303 instances\n");
  }
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
