// Notify latency (issue 7): a provider's Set over D-Bus until the notification reaches a
// libcoap observer (pmin 0), one update at a time, against a floor measured the same way: one
// D-Bus method call to a trivial sdbus-c++ service that sends one UDP datagram over loopback.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bench_daemon.hpp"
#include "bench_report.hpp"

namespace lwm2md::bench {
namespace {

using namespace std::chrono_literals;

constexpr const char* kFloorName = "org.lwm2md.BenchFloor";
constexpr const char* kFloorPath = "/org/lwm2md/BenchFloor";
constexpr auto kUpdateTimeout = 2s;

struct Latencies {
  std::vector<double> micros;
  int lost = 0;  // updates with no datagram/notification within kUpdateTimeout
};

/// The floor's service (run as a separate process, as the daemon is): Ping sends one datagram.
int runFloorService(const std::string& busAddress, uint16_t port) {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  try {
    auto connection = sdbus::createSessionBusConnectionWithAddress(busAddress);
    connection->requestName(kFloorName);
    auto object = sdbus::createObject(*connection, kFloorPath);
    object->registerMethod("Ping").onInterface(kFloorName).implementedAs([&] {
      // About the size of a text notification of one Integer with a token and Observe.
      static const char datagram[24] = "floor";
      sendto(fd, datagram, sizeof datagram, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
    });
    object->finishRegistration();
    connection->enterEventLoop();  // until the benchmark kills this process
  } catch (const sdbus::Error& e) {
    std::fprintf(stderr, "floor service: %s\n", e.what());
    return 1;
  }
  return 0;
}

std::optional<Latencies> measureFloor(BenchDaemon& bench, int count, std::string& error) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    error = "floor: no UDP socket";
    return std::nullopt;
  }
  test::ChildProcess service(
      selfPath(), {"--floor-service", bench.busAddress(), std::to_string(ntohs(address.sin_port))});
  auto proxy = sdbus::createProxy(bench.connection(), kFloorName, kFloorPath);
  auto dbus =
      sdbus::createProxy(bench.connection(), "org.freedesktop.DBus", "/org/freedesktop/DBus");
  bool named = false;
  for (int i = 0; i < 500 && !named; ++i) {
    dbus->callMethod("NameHasOwner")
        .onInterface("org.freedesktop.DBus")
        .withArguments(std::string(kFloorName))
        .storeResultsTo(named);
    if (!named) usleep(10000);
  }
  if (!named) {
    error = "floor service never took its name: " + service.output();
    close(fd);
    return std::nullopt;
  }
  Latencies result;
  char buffer[64];
  for (int i = 0; i < count; ++i) {
    const auto start = Clock::now();
    proxy->callMethod("Ping").onInterface(kFloorName);
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(std::chrono::milliseconds(kUpdateTimeout).count())) != 1 ||
        recv(fd, buffer, sizeof buffer, 0) <= 0) {
      ++result.lost;
      continue;
    }
    result.micros.push_back(
        std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  close(fd);
  return result;
}

std::optional<Latencies> measureDaemon(BenchDaemon& bench, int count, int warmUp,
                                       std::string& error) {
  auto path = bench.addInstance(bench.connection(), 0, 0);
  if (!path) return error = bench.error(), std::nullopt;
  if (!bench.writeAttributes("/33000", {"pmin=0"}))
    return error = "Write-Attributes pmin=0 refused", std::nullopt;
  int received = 0;
  bool accepted = false;
  Clock::time_point receivedAt;
  CoapPeer::Request observe;
  observe.path = "/33000/0/0";
  observe.observe = true;
  observe.accept = 0;  // text/plain
  const uint64_t token = bench.peer().send(observe, [&](const Reply& reply) {
    if (!accepted) {
      accepted = reply.code == 0x45 && reply.observe.has_value();
      return;
    }
    ++received;
    receivedAt = reply.at;
  });
  // The handler refers to this frame: forget the observation whichever way we leave.
  const std::unique_ptr<void, std::function<void(void*)>> forget(
      &bench, [&bench, token](void*) { bench.peer().forget(token); });
  if (!bench.peer().waitFor([&] { return accepted; }, 5s))
    return error = "Observe /33000/0/0 not accepted", std::nullopt;

  auto proxy = sdbus::createProxy(bench.connection(), "org.lwm2md1", *path);
  Latencies result;
  for (int i = 1; i <= warmUp + count; ++i) {
    const int before = received;
    const auto start = Clock::now();
    try {
      proxy->callMethod("Set")
          .onInterface("org.lwm2md1.Instance")
          .withArguments(DbusValues{{0, sdbus::Variant(int64_t{i})}});
    } catch (const sdbus::Error& e) {
      return error = "Set: " + e.getMessage(), std::nullopt;
    }
    if (!bench.peer().waitFor([&] { return received > before; }, kUpdateTimeout)) {
      if (i > warmUp) ++result.lost;
      continue;
    }
    if (i > warmUp)
      result.micros.push_back(
          std::chrono::duration<double, std::micro>(receivedAt - start).count());
  }
  return result;
}

int run(const Options& options) {
  const int count = options.smoke ? 300 : 10000;
  // --con: notifications as CON (the targets are for the default, NON).
  const bool confirmable =
      std::find(options.rest.begin(), options.rest.end(), "--con") != options.rest.end();
  BenchDaemon bench;
  if (!bench.start({options.daemon, confirmable})) {
    std::fprintf(stderr, "notify_latency: %s\n", bench.error().c_str());
    return 1;
  }
  std::string error;
  auto floor = measureFloor(bench, count, error);
  auto daemon = floor ? measureDaemon(bench, count, count / 10, error) : std::nullopt;
  if (!floor || !daemon) {
    std::fprintf(stderr, "notify_latency: %s\n", error.c_str());
    return 1;
  }
  const double total = static_cast<double>(count);
  const double floorP50 = percentile(floor->micros, 0.5),
               floorP99 = percentile(floor->micros, 0.99);
  const double p50 = percentile(daemon->micros, 0.5), p99 = percentile(daemon->micros, 0.99);
  const double floorMax = floor->micros.empty() ? 0 : floor->micros.back();
  const double max = daemon->micros.empty() ? 0 : daemon->micros.back();
  report({"notify-latency", "p50", p50, "us", floorP50, "<= 2x floor", p50 <= 2 * floorP50});
  report({"notify-latency", "p99", p99, "us", floorP99, "<= 5x floor", p99 <= 5 * floorP99});
  report({"notify-latency", "max", max, "us", floorMax, std::nullopt, std::nullopt});
  report({"notify-latency", "lost", static_cast<double>(daemon->lost), "updates",
          static_cast<double>(floor->lost), "0", daemon->lost == 0});
  std::printf("notify_latency: %d updates, floor lost %d, daemon lost %d (of %.0f)\n", count,
              floor->lost, daemon->lost, total);

  // The smoke run checks only that the figures exist and make sense, never how fast they are.
  if (options.smoke) {
    const bool sane = p50 > 0 && floorP50 > 0 && p99 >= p50 && max >= p99 && daemon->lost == 0 &&
                      floor->lost == 0 && daemon->micros.size() == static_cast<size_t>(count);
    if (!sane) {
      std::fprintf(stderr, "notify_latency: insane figures\n%s\n", bench.output().c_str());
      return 2;
    }
  }
  return 0;
}

}  // namespace
}  // namespace lwm2md::bench

int main(int argc, char** argv) {
  using namespace lwm2md::bench;
  const Options options = parseOptions(argc, argv);
  if (options.rest.size() == 3 && options.rest[0] == "--floor-service")
    return runFloorService(options.rest[1], static_cast<uint16_t>(std::stoi(options.rest[2])));
  return run(options);
}
