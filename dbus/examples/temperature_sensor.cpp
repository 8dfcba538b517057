// Example provider: a process on the gateway that publishes a temperature sensor (IPSO 3303)
// through lwm2md over D-Bus, updates it once a second, and reacts to what servers do:
// a write of the application type, an execute of "reset min/max".
//
//   lwm2md-example-temperature [--bus-address ADDR] [--seconds N] [--interval-ms MS]
//
// It keeps its D-Bus connection for as long as it runs: when it exits, lwm2md removes the
// instance and tells the servers.
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <sdbus-c++/sdbus-c++.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

namespace {

using Values = std::map<std::uint16_t, sdbus::Variant>;
using Clock = std::chrono::steady_clock;

constexpr std::uint16_t kTemperature = 3303;
constexpr std::uint16_t kSensorValue = 5700;
constexpr std::uint16_t kMinMeasured = 5601;
constexpr std::uint16_t kMaxMeasured = 5602;
constexpr std::uint16_t kResetMinMax = 5605;
constexpr std::uint16_t kUnits = 5701;
constexpr std::uint16_t kApplicationType = 5750;
constexpr std::uint16_t kPickFreeId = 65535;

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

  try {
    auto connection = options.busAddress.empty()
                          ? sdbus::createSessionBusConnection()
                          : sdbus::createSessionBusConnectionWithAddress(options.busAddress);
    auto manager = sdbus::createProxy(*connection, "org.lwm2md1", "/org/lwm2md1");
    const auto start = Clock::now();
    double value = sample(0);
    double minSeen = value;
    double maxSeen = value;
    sdbus::ObjectPath path;
    manager->callMethod("AddInstance")
        .onInterface("org.lwm2md1.Manager")
        .withArguments(kTemperature, kPickFreeId,
                       Values{{kSensorValue, sdbus::Variant(value)},
                              {kMinMeasured, sdbus::Variant(minSeen)},
                              {kMaxMeasured, sdbus::Variant(maxSeen)},
                              {kUnits, sdbus::Variant(std::string("Cel"))},
                              {kApplicationType, sdbus::Variant(std::string("room"))}},
                       std::map<std::string, sdbus::Variant>{})
        .storeResultsTo(path);
    std::printf("provider: published %s (%.2f Cel)\n", path.c_str(), value);
    std::fflush(stdout);

    auto sensor = sdbus::createProxy(*connection, "org.lwm2md1", path);
    auto set = [&](const Values& values) {
      sensor->callMethod("Set").onInterface("org.lwm2md1.Instance").withArguments(values);
    };
    sensor->uponSignal("Written").onInterface("org.lwm2md1.Instance").call([](const Values& v) {
      for (const auto& [rid, variant] : v) {
        if (variant.containsValueOfType<std::string>())
          std::printf("provider: server wrote %u = \"%s\"\n", rid,
                      variant.get<std::string>().c_str());
        else
          std::printf("provider: server wrote %u\n", rid);
      }
      std::fflush(stdout);
    });
    sensor->uponSignal("Executed")
        .onInterface("org.lwm2md1.Instance")
        .call([&](std::uint16_t rid, const std::string& args) {
          std::printf("provider: server executed %u (%s)\n", rid, args.c_str());
          std::fflush(stdout);
          if (rid == kResetMinMax) {
            minSeen = maxSeen = value;
            set({{kMinMeasured, sdbus::Variant(minSeen)}, {kMaxMeasured, sdbus::Variant(maxSeen)}});
          }
        });
    sensor->finishRegistration();

    auto nextSample = Clock::now() + std::chrono::milliseconds(options.intervalMs);
    const auto deadline =
        options.seconds > 0
            ? start + std::chrono::milliseconds(static_cast<long>(options.seconds * 1000))
            : Clock::time_point::max();
    for (;;) {
      while (connection->processPendingRequest()) {
      }
      const auto now = Clock::now();
      if (now >= deadline) break;
      if (now >= nextSample) {
        const double t = std::chrono::duration<double>(now - start).count();
        value = sample(t * 10);
        minSeen = std::min(minSeen, value);
        maxSeen = std::max(maxSeen, value);
        set({{kSensorValue, sdbus::Variant(value)},
             {kMinMeasured, sdbus::Variant(minSeen)},
             {kMaxMeasured, sdbus::Variant(maxSeen)}});
        nextSample += std::chrono::milliseconds(options.intervalMs);
        continue;
      }
      const auto wake = std::min(nextSample, deadline);
      const auto poll = connection->getEventLoopPollData();
      pollfd fds[2] = {{poll.fd, static_cast<short>(poll.events), 0}, {signalFd, POLLIN, 0}};
      const auto waitMs =
          std::chrono::duration_cast<std::chrono::milliseconds>(wake - now).count() + 1;
      ::poll(fds, 2, static_cast<int>(waitMs));
      if (fds[1].revents & POLLIN) break;
    }
    std::printf("provider: leaving\n");
  } catch (const sdbus::Error& error) {
    std::fprintf(stderr, "provider: %s: %s\n", error.getName().c_str(), error.getMessage().c_str());
    return 1;
  }
  close(signalFd);
  return 0;
}
