// Notify throughput (issue 7): 1,000 observed resources (100 instances x 10) while providers
// push Sets as fast as the daemon takes them. Counts notifications delivered per second at a
// libcoap observer, and checks that nothing was lost: each resource's last notified value is
// the provider's last Set value, and (CON) every notification was ACKed the first time, i.e.
// the observer saw no retransmission. The daemon may coalesce changes (pmin, a busy link), so
// Sets and notifications are not 1:1.
#include <poll.h>

#include <array>
#include <atomic>
#include <charconv>
#include <cstdio>
#include <thread>
#include <vector>

#include "bench_daemon.hpp"
#include "bench_report.hpp"

namespace lwm2md::bench {
namespace {

using namespace std::chrono_literals;

constexpr int kInstances = 100;
constexpr int kProviders = 4;  // D-Bus connections, each owning kInstances / kProviders
constexpr int kWindow = 8;     // Sets in flight per provider

/// What the observer knows about one observed resource.
struct Observed {
  bool accepted = false;
  int64_t last = -1;
  uint64_t notifications = 0;
  uint64_t confirmable = 0;
  uint64_t retransmissions = 0;
  // Recent (MID, Observe) pairs: a retransmission repeats both.
  std::array<std::pair<uint16_t, uint32_t>, 8> recent{};
  size_t next = 0;
};

/// One provider thread: Sets with up to kWindow in flight, round robin over its instances,
/// every resource of the instance to a fresh value each time.
struct Provider {
  std::unique_ptr<sdbus::IConnection> connection;
  std::vector<uint16_t> instances;
  std::vector<sdbus::ObjectPath> paths;
  std::vector<int64_t> lastAcked;  // per instance: the value of the latest successful Set
  uint64_t sets = 0;
  uint64_t errors = 0;
  int64_t counter = 0;
};

void push(Provider& provider, const std::atomic<bool>& stop) {
  std::vector<std::unique_ptr<sdbus::IProxy>> proxies;
  for (const auto& path : provider.paths)
    proxies.push_back(sdbus::createProxy(*provider.connection, "org.lwm2md1", path));
  provider.lastAcked.assign(provider.paths.size(), 0);
  int inFlight = 0;
  size_t next = 0;
  std::optional<Clock::time_point> drainDeadline;  // set when told to stop
  while (true) {
    if (stop && !drainDeadline) drainDeadline = Clock::now() + 5s;
    if (drainDeadline && (inFlight == 0 || Clock::now() > *drainDeadline)) break;
    while (!stop && inFlight < kWindow) {
      const size_t index = next++ % proxies.size();
      const int64_t value = ++provider.counter;
      ++inFlight;
      proxies[index]
          ->callMethodAsync("Set")
          .onInterface("org.lwm2md1.Instance")
          .withArguments(benchValues(value))
          .uponReplyInvoke([&provider, &inFlight, index, value](const sdbus::Error* error) {
            --inFlight;
            ++provider.sets;
            // Replies come in call order on one connection: the last one wins.
            if (error)
              ++provider.errors;
            else
              provider.lastAcked[index] = value;
          });
    }
    const auto poll = provider.connection->getEventLoopPollData();
    pollfd p{poll.fd, poll.events, 0};
    ::poll(&p, 1, 5);
    while (provider.connection->processPendingRequest()) {
    }
  }
}

struct ModeResult {
  double seconds = 0;
  uint64_t notifications = 0;  // received during the push window
  uint64_t sets = 0;
  uint64_t setErrors = 0;
  int lost = 0;  // resources whose last value is not the provider's last Set
  uint64_t nonConfirmable = 0;
  uint64_t retransmissions = 0;
  double settleSeconds = 0;  // from the end of the pushing until every last value arrived
  std::optional<uint64_t> udpDrops;
  double daemonCpu = 0;  // % of one core
  double busCpu = 0;
};

std::optional<ModeResult> measure(const Options& options, bool confirmable, unsigned nstart,
                                  std::chrono::seconds duration, std::string& error) {
  // Declared first so that it outlives `bench`: the observation handlers write into it, and
  // notifications may still arrive while the daemon is stopped.
  std::vector<Observed> observed(kInstances * kBenchResources);
  BenchDaemon bench;
  if (!bench.start({options.daemon, confirmable, nstart}))
    return error = bench.error(), std::nullopt;
  std::vector<Provider> providers(kProviders);
  for (int p = 0; p < kProviders; ++p) {
    providers[p].connection = sdbus::createSessionBusConnectionWithAddress(bench.busAddress());
    providers[p].counter = int64_t{p} * 1'000'000'000;
  }
  for (int i = 0; i < kInstances; ++i) {
    Provider& owner = providers[i % kProviders];
    auto path = bench.addInstance(*owner.connection, static_cast<uint16_t>(i), 0);
    if (!path) return error = bench.error(), std::nullopt;
    owner.instances.push_back(static_cast<uint16_t>(i));
    owner.paths.push_back(*path);
  }
  if (!bench.writeAttributes("/33000", {"pmin=0"}))
    return error = "Write-Attributes pmin=0 refused", std::nullopt;

  for (int i = 0; i < kInstances; ++i) {
    for (int r = 0; r < kBenchResources; ++r) {
      Observed& state = observed[i * kBenchResources + r];
      CoapPeer::Request request;
      request.path = "/33000/" + std::to_string(i) + "/" + std::to_string(r);
      request.observe = true;
      request.accept = 0;
      bench.peer().send(request, [&state](const Reply& reply) {
        if (!state.accepted) {
          state.accepted = reply.code == 0x45 && reply.observe.has_value();
          return;
        }
        for (const auto& seen : state.recent) {
          if (seen.first == reply.mid && reply.observe && seen.second == *reply.observe &&
              state.notifications > 0) {
            ++state.retransmissions;
            return;
          }
        }
        state.recent[state.next++ % state.recent.size()] = {reply.mid, reply.observe.value_or(0)};
        ++state.notifications;
        if (reply.confirmable) ++state.confirmable;
        std::from_chars(reply.payload.data(), reply.payload.data() + reply.payload.size(),
                        state.last);
      });
    }
  }
  auto allAccepted = [&] {
    for (const auto& state : observed)
      if (!state.accepted) return false;
    return true;
  };
  if (!bench.peer().waitFor(allAccepted, 20s))
    return error = "not all 1,000 observations were accepted", std::nullopt;

  auto total = [&](uint64_t Observed::*field) {
    uint64_t sum = 0;
    for (const auto& state : observed) sum += state.*field;
    return sum;
  };
  std::atomic<bool> stop{false};
  std::atomic<int> finished{0};
  const auto cpuStart = cpuSeconds(bench.pid());
  const auto busCpuStart = cpuSeconds(bench.busPid());
  const auto dropsStart = udpReceiveBufferErrors();
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (auto& provider : providers)
    threads.emplace_back([&provider, &stop, &finished] {
      push(provider, stop);
      ++finished;
    });
  const auto stopAt = start + duration;
  while (Clock::now() < stopAt) bench.peer().pump(5);
  ModeResult result;
  result.seconds = secondsSince(start);
  result.notifications = total(&Observed::notifications);
  const auto cpuEnd = cpuSeconds(bench.pid());
  const auto busCpuEnd = cpuSeconds(bench.busPid());
  stop = true;
  // Keep receiving while the providers drain their last replies (each within 5 s).
  bench.peer().waitFor([&] { return finished == kProviders; }, 10s);
  for (auto& thread : threads) thread.join();

  std::vector<int64_t> expected(observed.size(), 0);
  for (const auto& provider : providers) {
    result.sets += provider.sets;
    result.setErrors += provider.errors;
    for (size_t k = 0; k < provider.instances.size(); ++k)
      for (int r = 0; r < kBenchResources; ++r)
        expected[provider.instances[k] * kBenchResources + r] = provider.lastAcked[k];
  }
  auto settled = [&] {
    for (size_t k = 0; k < observed.size(); ++k)
      if (observed[k].last != expected[k]) return false;
    return true;
  };
  // Whatever the daemon still has queued must arrive; CON retransmissions take seconds.
  const auto stoppedAt = Clock::now();
  bench.peer().waitFor(settled, confirmable ? 30s : 10s);
  result.settleSeconds = secondsSince(stoppedAt);
  if (const auto dropsEnd = udpReceiveBufferErrors(); dropsStart && dropsEnd)
    result.udpDrops = *dropsEnd - *dropsStart;
  for (size_t k = 0; k < observed.size(); ++k)
    if (observed[k].last != expected[k]) ++result.lost;
  result.nonConfirmable = total(&Observed::notifications) - total(&Observed::confirmable);
  result.retransmissions = total(&Observed::retransmissions);
  if (cpuStart && cpuEnd) result.daemonCpu = (*cpuEnd - *cpuStart) / result.seconds * 100;
  if (busCpuStart && busCpuEnd) result.busCpu = (*busCpuEnd - *busCpuStart) / result.seconds * 100;
  if (result.lost > 0)
    std::fprintf(stderr, "notify_throughput: %d resources lost their last value; daemon:\n%s\n",
                 result.lost, bench.output().substr(0, 4000).c_str());
  return result;
}

int run(const Options& options) {
  const auto duration = options.smoke ? 1s : 10s;
  bool sane = true;
  // CON at RFC 7252's NSTART = 1 (one notification per round trip), CON with 32 in flight
  // ([coap] nstart, for a LAN), and NON.
  struct Mode {
    const char* name;
    bool confirmable;
    unsigned nstart;
  };
  for (const Mode& m :
       {Mode{"con", true, 1}, Mode{"con-nstart32", true, 32}, Mode{"non", false, 1}}) {
    const std::string mode = m.name;
    const bool confirmable = m.confirmable;
    std::string error;
    auto result = measure(options, confirmable, m.nstart, duration, error);
    if (!result) {
      std::fprintf(stderr, "notify_throughput (%s): %s\n", mode.c_str(), error.c_str());
      return 1;
    }
    const double rate = static_cast<double>(result->notifications) / result->seconds;
    const double changes = static_cast<double>(result->sets) * kBenchResources / result->seconds;
    report({"notify-throughput", "notifications-" + mode, rate, "1/s", std::nullopt, ">= 20000/s",
            rate >= 20000});
    report({"notify-throughput", "changes-" + mode, changes, "1/s", std::nullopt, std::nullopt,
            std::nullopt});
    report({"notify-throughput", "lost-" + mode, static_cast<double>(result->lost), "resources",
            std::nullopt, confirmable ? std::optional<std::string>("0") : std::nullopt,
            confirmable ? std::optional<bool>(result->lost == 0) : std::nullopt});
    if (confirmable) {
      const double unacked = static_cast<double>(result->retransmissions + result->nonConfirmable);
      report({"notify-throughput", "unacked-" + mode, unacked, "notifications", std::nullopt, "0",
              unacked == 0});
    }
    report({"notify-throughput", "settle-" + mode, result->settleSeconds, "s", std::nullopt,
            std::nullopt, std::nullopt});
    if (result->udpDrops)
      report({"notify-throughput", "udp-drops-" + mode, static_cast<double>(*result->udpDrops),
              "datagrams", std::nullopt, std::nullopt, std::nullopt});
    report({"notify-throughput", "daemon-cpu-" + mode, result->daemonCpu, "%", std::nullopt,
            std::nullopt, std::nullopt});
    report({"notify-throughput", "dbus-daemon-cpu-" + mode, result->busCpu, "%", std::nullopt,
            std::nullopt, std::nullopt});
    std::printf(
        "notify_throughput %s: %.1f s, %llu notifications, %llu Sets (%llu failed), "
        "%d lost, %llu retransmitted\n",
        mode.c_str(), result->seconds, static_cast<unsigned long long>(result->notifications),
        static_cast<unsigned long long>(result->sets),
        static_cast<unsigned long long>(result->setErrors), result->lost,
        static_cast<unsigned long long>(result->retransmissions));
    // Smoke: figures exist and nothing was lost; the rate itself is not judged.
    if (result->notifications == 0 || result->sets == 0 || result->setErrors > 0 ||
        (confirmable && result->lost > 0))
      sane = false;
  }
  if (options.smoke && !sane) {
    std::fprintf(stderr, "notify_throughput: insane figures\n");
    return 2;
  }
  return 0;
}

}  // namespace
}  // namespace lwm2md::bench

int main(int argc, char** argv) {
  return lwm2md::bench::run(lwm2md::bench::parseOptions(argc, argv));
}
