// footprint_memory: the daemon's memory once registered with its default objects, and what
// each extra resource costs (1,000 instances x 10 resources added by a provider), next to a
// trivial process linked against the same libraries (footprint_floor --idle).
#include <fmt/format.h>

#include <chrono>
#include <cstdio>

#include "bench/bench_report.hpp"
#include "daemon_harness.hpp"
#include "proc_stats.hpp"

namespace {

using namespace std::chrono_literals;
using namespace lwm2md::bench;

constexpr std::uint16_t kBenchObject = 33000;
constexpr int kResourcesPerInstance = 10;
constexpr double kIdleAnonTargetKiB = 1024;
constexpr double kPerResourceTarget = 300;
// Long enough for the daemon to finish what registration started (Update, D-Bus signals).
constexpr auto kSettle = 500ms;

void printMappings(const char* label, pid_t pid) {
  for (const auto& mapping : largestAnonMappings(pid, 8))
    note(fmt::format("{}: {} KiB anon ({} KiB rss) {} {}", label, mapping.anonKiB, mapping.rssKiB,
                     mapping.range, mapping.name));
}

void printMemory(const char* label, const MemoryFigures& m) {
  note(fmt::format("{}: VmRSS {} KiB, RssAnon {} KiB, Anonymous {} KiB, Private_Dirty {} KiB",
                   label, m.vmRss, m.rssAnon, m.anonymous, m.privateDirty));
}

std::optional<MemoryFigures> measureFloor(DaemonHarness& harness) {
  lwm2md::test::ChildOptions options;
  options.program = harness.options().floor;
  options.args = {"--bus", harness.busAddress(), "--server", harness.server().uri(), "--idle"};
  lwm2md::test::ChildProcess floor(options);
  if (!floor.started()) {
    note("cannot start footprint_floor: " + floor.error());
    return std::nullopt;
  }
  if (!floor.waitForOutput("floor ready", 10s, [&] { harness.server().pump(5ms); })) {
    note("footprint_floor did not get ready: " + floor.output());
    return std::nullopt;
  }
  harness.idle(kSettle);
  auto memory = readMemory(floor.pid());
  if (memory && harness.options().detail) printMappings("floor", floor.pid());
  return memory;
}

/// Adds instances [first, first + count) of the bench object, 10 Float values each.
bool addInstances(DaemonHarness& harness, int first, int count) {
  for (int iid = first; iid < first + count; ++iid) {
    DbusValues values;
    for (std::uint16_t rid = 0; rid < kResourcesPerInstance; ++rid)
      values[rid] = sdbus::Variant(static_cast<double>(iid) + rid / 10.0);
    if (!harness.addInstance(kBenchObject, static_cast<std::uint16_t>(iid), values)) return false;
    // Answer the Updates the additions cause as they come, as a server would.
    harness.server().pump(0ms);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  auto options = parseFootprintOptions(argc, argv);
  if (!options) return 64;
  const int instances = options->smoke ? 100 : 1000;
  const int resources = instances * kResourcesPerInstance;

  DaemonHarness harness(*options);
  if (!harness.ok()) {
    note("cannot set up: " + harness.error());
    return kCannotMeasure;
  }
  const auto floor = measureFloor(harness);
  if (!floor) return kCannotMeasure;
  printMemory("floor", *floor);

  if (!harness.start(300) || !harness.waitRegister(10s) || !harness.waitForBusName(10s))
    return kCannotMeasure;
  harness.idle(kSettle);
  const pid_t pid = harness.pid();
  const auto idle = readMemory(pid);
  if (!idle) return kCannotMeasure;
  printMemory("daemon idle", *idle);
  if (options->detail) printMappings("daemon idle", pid);

  if (harness.addObjectDefinition(floatObjectDdf(kBenchObject, kResourcesPerInstance)) !=
      kBenchObject)
    return kCannotMeasure;
  const auto addStart = std::chrono::steady_clock::now();
  if (!addInstances(harness, 0, instances)) return kCannotMeasure;
  const double addSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - addStart).count();
  // Every instance is registered: the daemon is done with them. Not required for the figures
  // (every AddInstance was answered, so the instances are in the tree), but noted when not.
  const std::string last = fmt::format("</{}/{}>", kBenchObject, instances - 1);
  const bool registered = harness.server().waitFor(
      [&] {
        auto reg = harness.server().registration();
        return reg && reg->payload.find(last) != std::string::npos;
      },
      3s);
  if (!registered) note("the Update listing every instance did not complete (see footprint_scale)");
  harness.idle(kSettle);
  const auto loaded = readMemory(pid);
  if (!loaded) return kCannotMeasure;
  printMemory(fmt::format("daemon with {} resources", resources).c_str(), *loaded);
  if (options->detail) printMappings("daemon loaded", pid);

  // The same again: glibc keeps freed heap (see the report), so the first batch may partly fill
  // free space the idle daemon already had; the second batch shows the marginal cost.
  if (!addInstances(harness, instances, instances)) return kCannotMeasure;
  harness.idle(kSettle);
  const auto doubled = readMemory(pid);
  if (!doubled) return kCannotMeasure;
  printMemory(fmt::format("daemon with {} resources", 2 * resources).c_str(), *doubled);

  const double anonIdle = static_cast<double>(idle->rssAnon);
  const double anonOver = anonIdle - static_cast<double>(floor->rssAnon);
  const double perResource =
      static_cast<double>(loaded->rssAnon - idle->rssAnon) * 1024.0 / resources;
  const double dirtyPerResource =
      static_cast<double>(loaded->privateDirty - idle->privateDirty) * 1024.0 / resources;
  report({"memory", "rss-idle", static_cast<double>(idle->vmRss), "KiB",
          static_cast<double>(floor->vmRss), std::nullopt, std::nullopt});
  report({"memory", "anon-idle", anonIdle, "KiB", static_cast<double>(floor->rssAnon),
          "<= 1024 KiB", anonIdle <= kIdleAnonTargetKiB});
  report({"memory", "anon-idle-over-floor", anonOver, "KiB", std::nullopt, "<= 1024 KiB",
          anonOver <= kIdleAnonTargetKiB});
  report({"memory", "private-dirty-idle", static_cast<double>(idle->privateDirty), "KiB",
          static_cast<double>(floor->privateDirty), std::nullopt, std::nullopt});
  report({"memory", "rss-loaded", static_cast<double>(loaded->vmRss), "KiB", std::nullopt,
          std::nullopt, std::nullopt});
  report({"memory", "anon-loaded", static_cast<double>(loaded->rssAnon), "KiB", std::nullopt,
          std::nullopt, std::nullopt});
  report({"memory", "anon-per-resource", perResource, "B", std::nullopt, "<= 300 B",
          perResource <= kPerResourceTarget});
  const double marginal =
      static_cast<double>(doubled->rssAnon - loaded->rssAnon) * 1024.0 / resources;
  report({"memory", "anon-per-resource-marginal", marginal, "B", std::nullopt, "<= 300 B",
          marginal <= kPerResourceTarget});
  report({"memory", "private-dirty-per-resource", dirtyPerResource, "B", std::nullopt, std::nullopt,
          std::nullopt});
  report(
      {"memory", "add-instances-time", addSeconds, "s", std::nullopt, std::nullopt, std::nullopt});
  const bool stopped = harness.stop();

  // Sanity (what --smoke asserts): real figures, every instance arrived, a clean exit.
  const bool sane = floor->rssAnon > 0 && idle->rssAnon > 0 && idle->vmRss >= idle->rssAnon &&
                    loaded->rssAnon > 0 && perResource > -1024 && stopped;
  if (!sane) {
    std::fprintf(stderr, "footprint_memory: figures not sane (stopped=%d)\n", stopped);
    return kCannotMeasure;
  }
  return 0;
}
