// footprint_scale: registration with 1,000 instances, whose link list no longer fits one
// datagram and goes block-wise (RFC 7959 Block1). Measures how long the daemon takes to have
// the full list accepted: after the instances arrive (the Update that carries them), for a
// fresh Register of all of them, and for the Update after one more instance; with the sizes.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>

#include "bench/bench_report.hpp"
#include "daemon_harness.hpp"

namespace {

using namespace std::chrono_literals;
using namespace lwm2md::bench;
using Clock = std::chrono::steady_clock;

constexpr std::uint16_t kTemperature = 3303;  // shipped definition; instances need 5700 only
constexpr std::uint16_t kSensorValue = 5700;

double msSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::string link(int iid) {
  return fmt::format("</{}/{}>", kTemperature, iid);
}

bool addSensor(DaemonHarness& harness, int iid) {
  return harness.addInstance(kTemperature, static_cast<std::uint16_t>(iid),
                             {{kSensorValue, sdbus::Variant(20.0 + iid / 100.0)}});
}

/// Waits until the server's live registration lists `needle`.
bool waitListed(DaemonHarness& harness, const std::string& needle,
                std::chrono::milliseconds timeout) {
  return harness.server().waitFor(
      [&] {
        auto reg = harness.server().registration();
        return reg && reg->payload.find(needle) != std::string::npos;
      },
      timeout);
}

int countUpdates(DaemonHarness& harness) {
  int count = 0;
  for (const auto& event : harness.server().events())
    if (event.kind == lwm2md::test::Event::Kind::Update) ++count;
  return count;
}

}  // namespace

int main(int argc, char** argv) {
  auto options = parseFootprintOptions(argc, argv);
  if (!options) return 64;
  // Even the smoke count makes a payload of more than one 1 KiB block.
  const int instances = options->smoke ? 200 : 1000;

  DaemonHarness harness(*options);
  if (!harness.ok()) {
    note("cannot set up: " + harness.error());
    return kCannotMeasure;
  }
  if (!harness.start(300) || !harness.waitRegister(10s) || !harness.waitForBusName(10s))
    return kCannotMeasure;

  // 1. The instances arrive over D-Bus; the daemon announces them with Updates.
  const auto wait = options->smoke ? 5s : 20s;
  const int updatesBefore = countUpdates(harness);
  const auto addStart = Clock::now();
  for (int iid = 0; iid < instances; ++iid) {
    if (!addSensor(harness, iid)) return kCannotMeasure;
    harness.server().pump(0ms);
  }
  const double addMs = msSince(addStart);
  const auto settleStart = Clock::now();
  const bool settled = waitListed(harness, link(instances - 1), wait);
  const double settleMs = msSince(settleStart);
  const int updatesDuringAdd = countUpdates(harness) - updatesBefore;
  if (!settled) note("the Update listing every instance did not complete");

  // 2. A fresh Register of everything (Manager.Register()).
  const auto registerStart = Clock::now();
  if (!harness.registerAgain()) return kCannotMeasure;
  auto reg = harness.waitRegister(wait);
  const double registerMs = msSince(registerStart);
  const bool registerComplete = reg &&
                                reg->payload.find(link(instances - 1)) != std::string::npos &&
                                reg->payload.find(link(0)) != std::string::npos;
  const std::size_t registerPayload = reg ? reg->payload.size() : 0;

  // 3. One more instance: an Update carrying the whole list again.
  harness.idle(200ms);
  const auto updateStart = Clock::now();
  if (!addSensor(harness, instances)) return kCannotMeasure;
  const bool updated = waitListed(harness, link(instances), wait);
  const double updateMs = msSince(updateStart);
  const auto live = harness.server().registration();
  const std::size_t updatePayload = updated && live ? live->payload.size() : 0;
  if (!updated) note("the Update after one more instance did not complete");
  if (!settled || !registerComplete || !updated) {
    for (const auto& event : harness.server().events())
      note(fmt::format("server event kind {} code {} payload {} B", static_cast<int>(event.kind),
                       lwm2md::test::TestLwm2mServer::codeString(event.code),
                       event.payload.size()));
  }
  const bool stopped = harness.stop();

  report({"scale", "instances", static_cast<double>(instances), "count", std::nullopt, std::nullopt,
          std::nullopt});
  report({"scale", "add-instances-time", addMs, "ms", std::nullopt, std::nullopt, std::nullopt});
  report({"scale", "updates-while-adding", static_cast<double>(updatesDuringAdd), "count",
          std::nullopt, std::nullopt, std::nullopt});
  report(
      {"scale", "update-settle-after-adding", settleMs, "ms", std::nullopt, "completes", settled});
  report({"scale", "register-time", registerMs, "ms", std::nullopt, "completes", registerComplete});
  report({"scale", "register-payload", static_cast<double>(registerPayload), "B", std::nullopt,
          std::nullopt, std::nullopt});
  report({"scale", "update-time", updateMs, "ms", std::nullopt, "completes", updated});
  report({"scale", "update-payload", static_cast<double>(updatePayload), "B", std::nullopt,
          std::nullopt, std::nullopt});

  // Sane: everything arrived, and the payload really needed more than one block.
  // A block-wise registration that never completes is lost data: the smoke run fails on it.
  const bool sane =
      settled && registerComplete && registerPayload > 1024 && updatePayload > 1024 && stopped;
  if (!sane) {
    std::fprintf(
        stderr,
        "footprint_scale: figures not sane (settled=%d complete=%d payload=%zu stopped=%d)\n",
        settled, registerComplete, registerPayload, stopped);
    return kCannotMeasure;
  }
  return 0;
}
