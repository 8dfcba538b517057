// What a SIGHUP reload takes from a re-read config, and what it keeps until a restart.
#include "app/config_reload.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>

namespace lwm2md {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

ServerConfig server(std::uint16_t shortId, std::uint32_t lifetime = 60) {
  ServerConfig s;
  s.uri = "coap://127.0.0.1:" + std::to_string(5680 + shortId);
  s.shortId = shortId;
  s.lifetime = lifetime;
  return s;
}

Config base() {
  Config c;
  c.endpoint = "gw";
  c.stateDir = "/var/lib/lwm2md";
  c.servers = {server(1), server(2)};
  return c;
}

TEST(DiffServers, SortsByShortServerId) {
  auto changedSecurity = server(3);
  changedSecurity.security.mode = "psk";
  changedSecurity.security.identity = {1, 2};
  const auto changes = diffServers({server(1), server(2), server(3), server(4)},
                                   {server(4), server(1, 120), changedSecurity, server(5)});
  ASSERT_EQ(changes.changed.size(), 2u);
  EXPECT_EQ(changes.changed[0].shortId, 1);
  EXPECT_EQ(changes.changed[0].lifetime, 120u);
  EXPECT_EQ(changes.changed[1].security.mode, "psk");
  EXPECT_THAT(changes.removed, ElementsAre(2));
  EXPECT_THAT(changes.unchanged, ElementsAre(4));
  ASSERT_EQ(changes.added.size(), 1u);
  EXPECT_EQ(changes.added[0].shortId, 5);
  EXPECT_TRUE(changes.any());
}

TEST(DiffServers, EveryKeyCountsAndNothingIsNothing) {
  EXPECT_FALSE(diffServers({server(1)}, {server(1)}).any());
  EXPECT_FALSE(diffServers({}, {}).any());
  auto version = server(1);
  version.version = "1.0";
  auto confirmable = server(1);
  confirmable.notifyConfirmable = true;
  auto pmax = server(1);
  pmax.defaultPmax = 30;
  auto key = server(1);
  key.security.secretKey = {9};
  for (const auto& other : {version, confirmable, pmax, key})
    EXPECT_EQ(diffServers({server(1)}, {other}).changed.size(), 1u);
}

TEST(PlanReload, AppliesLiveSettingsAndKeepsTheRest) {
  Config loaded = base();
  loaded.endpoint = "renamed";
  loaded.stateDir = "/tmp/elsewhere";
  loaded.objectDirs = {"/opt/objects"};
  loaded.bootstrap = BootstrapConfig{"coap://127.0.0.1:5690", {}, 0, 0};
  loaded.logLevel = "debug";
  loaded.providerTimeoutSeconds = 1.5;
  loaded.device.model = "GW-2";
  loaded.coap.maxRetransmit = 2;
  loaded.registration.retryMaxSeconds = 60;
  loaded.limits.maxPendingRequests = 8;
  loaded.servers = {server(1, 300)};
  const auto plan = planReload(base(), loaded, false);
  EXPECT_EQ(plan.next.endpoint, "gw");
  EXPECT_EQ(plan.next.stateDir, "/var/lib/lwm2md");
  EXPECT_THAT(plan.next.objectDirs, IsEmpty());
  EXPECT_FALSE(plan.next.bootstrap);
  EXPECT_EQ(plan.kept.size(), 4u);
  EXPECT_THAT(plan.kept[0], HasSubstr("endpoint stays 'gw'"));
  EXPECT_EQ(plan.next.logLevel, "debug");
  EXPECT_EQ(plan.next.providerTimeoutSeconds, 1.5);
  EXPECT_TRUE(plan.logLevel && plan.providerTimeout && plan.device && plan.coap &&
              plan.registration && plan.limits);
  EXPECT_EQ(plan.next.limits.maxPendingRequests, 8u);
  EXPECT_EQ(plan.next.servers.size(), 1u);
  EXPECT_EQ(plan.servers.changed.size(), 1u);
  EXPECT_THAT(plan.servers.removed, ElementsAre(2));
}

TEST(PlanReload, SameFileChangesNothing) {
  const auto plan = planReload(base(), base(), false);
  EXPECT_FALSE(plan.servers.any());
  EXPECT_THAT(plan.kept, IsEmpty());
  EXPECT_FALSE(plan.logLevel || plan.providerTimeout || plan.device || plan.coap ||
               plan.registration || plan.limits);
  EXPECT_EQ(plan.servers.unchanged.size(), 2u);
}

TEST(PlanReload, EachLimitAppliesLiveAndAloneChangesNothingElse) {
  const std::vector<std::function<void(LimitsConfig&)>> changes = {
      [](LimitsConfig& l) { l.maxPayloadBytes = 1024; },
      [](LimitsConfig& l) { l.maxObservationsPerServer = 3; },
      [](LimitsConfig& l) { l.maxPendingRequests = 2; },
      [](LimitsConfig& l) { l.maxInstancesPerProvider = 5; },
      [](LimitsConfig& l) { l.dbusCallsPerSecond = 0; },
  };
  for (std::size_t i = 0; i < changes.size(); ++i) {
    SCOPED_TRACE(i);
    Config loaded = base();
    changes[i](loaded.limits);
    const auto plan = planReload(base(), loaded, false);
    EXPECT_TRUE(plan.limits);
    EXPECT_EQ(plan.next.limits, loaded.limits) << "taken as loaded, not kept";
    EXPECT_THAT(plan.kept, IsEmpty());
    EXPECT_FALSE(plan.logLevel || plan.providerTimeout || plan.device || plan.coap ||
                 plan.registration || plan.servers.any());
  }
}

TEST(PlanReload, BootstrapProvisionedServersIgnoreTheTables) {
  Config loaded = base();
  loaded.servers = {server(7)};
  loaded.logLevel = "warn";
  const auto plan = planReload(base(), loaded, /*serversFromBootstrap=*/true);
  EXPECT_FALSE(plan.servers.any());
  ASSERT_EQ(plan.next.servers.size(), 2u);
  EXPECT_EQ(plan.next.servers[0].shortId, 1);
  ASSERT_EQ(plan.kept.size(), 1u);
  EXPECT_THAT(plan.kept[0], HasSubstr("Bootstrap-Server"));
  EXPECT_TRUE(plan.logLevel);
}

}  // namespace
}  // namespace lwm2md
