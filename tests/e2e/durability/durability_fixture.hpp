#pragma once

// The durable-state e2e tests (issue 4): the real daemon, a Bootstrap-Server (`bs_`) and two
// LwM2M servers (`server_` = A, `serverB_` = B), with the daemon's state directory read back
// through the store's own loader, so a test sees exactly what the daemon would restore.

#include <gmock/gmock.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "e2e_fixture.hpp"
#include "store/state_store.hpp"

namespace lwm2md::test {

constexpr std::uint16_t kSenmlJson = 110;
constexpr std::uint16_t kTextPlain = 0;
constexpr std::uint8_t kChanged = 0x44, kDeleted = 0x42, kContent = 0x45;
/// The Short Server ID every provisioning in these tests uses.
constexpr std::int64_t kServerId = 101;

/// What tells two provisionings apart: the server account's URI (Security /0/x/0) and the
/// lifetime of its Server instance (/1/x/1), both for Short Server ID 101.
struct Provisioning {
  std::optional<std::string> uri;
  std::optional<std::int64_t> lifetime;

  bool operator==(const Provisioning&) const = default;
  std::string describe() const {
    return "uri=" + uri.value_or("(none)") +
           " lifetime=" + (lifetime ? std::to_string(*lifetime) : std::string("(none)"));
  }
};

class DurabilityFixture : public DaemonFixture {
 protected:
  void SetUp() override {
    DaemonFixture::SetUp();
    ASSERT_TRUE(bs_.ok()) << bs_.error();
    ASSERT_TRUE(serverB_.ok()) << serverB_.error();
    // Whichever server a helper waits on, the others and the D-Bus client keep going.
    server_.setSidePump([this] {
      bs_.pump(std::chrono::milliseconds(0));
      serverB_.pump(std::chrono::milliseconds(0));
      pumpClient();
    });
    bs_.setSidePump([this] {
      server_.pump(std::chrono::milliseconds(0));
      serverB_.pump(std::chrono::milliseconds(0));
      pumpClient();
    });
    serverB_.setSidePump([this] {
      server_.pump(std::chrono::milliseconds(0));
      bs_.pump(std::chrono::milliseconds(0));
      pumpClient();
    });
  }

  /// ETS configuration C.13: only a Bootstrap-Server account (and the Device object).
  std::string bootstrapConfig() const {
    return "endpoint = \"e2e-durable\"\nlog_level = \"debug\"\n"
           "[registration]\nretry_initial = 1\nretry_max = 2\n"
           "[device]\nmanufacturer = \"lwm2md tests\"\nmodel = \"E2E\"\nserial = \"0001\"\n"
           "[bootstrap]\nuri = \"" +
           bs_.uri() + "\"\n";
  }

  static std::vector<std::uint8_t> bytes(const std::string& text) {
    return {text.begin(), text.end()};
  }

  /// Security instance /0/1 of server 101 at `uri` (no security), in SenML JSON.
  static std::vector<std::uint8_t> securityPayload(const std::string& uri) {
    return bytes(R"([{"bn":"/0/1/","n":"0","vs":")" + uri +
                 R"("},{"n":"1","vb":false},{"n":"2","v":3},{"n":"10","v":101}])");
  }
  /// Server instance /1/1 of server 101 with `lifetime`, in SenML JSON.
  static std::vector<std::uint8_t> serverPayload(std::int64_t lifetime) {
    return bytes(R"([{"bn":"/1/1/","n":"0","v":101},{"n":"1","v":)" + std::to_string(lifetime) +
                 R"(},{"n":"6","vb":false},{"n":"7","vs":"U"}])");
  }

  std::filesystem::path stateDir() const { return dir_.file("state"); }
  LoadResult loadState() const { return StateStore(stateDir()).load(); }

  /// A server's account in a saved state: the URI of its (non-bootstrap) Security instance
  /// and the lifetime of its Server instance. Absent parts stay nullopt.
  static Provisioning provisioningIn(const PersistedState& state,
                                     std::int64_t shortId = kServerId) {
    Provisioning found;
    for (const auto& [oid, instance] : state.instances) {
      if (oid == 0 && integer(instance, 10) == shortId && boolean(instance, 1) != true)
        if (const ResourceData* uri = resource(instance, 0); uri && uri->value)
          if (const auto* text = std::get_if<std::string>(&*uri->value)) found.uri = *text;
      if (oid == 1 && integer(instance, 0) == shortId) found.lifetime = integer(instance, 1);
    }
    return found;
  }

  static const ResourceData* resource(const InstanceData& instance, std::uint16_t rid) {
    for (const auto& r : instance.resources)
      if (r.id == rid) return &r;
    return nullptr;
  }
  static std::optional<std::int64_t> integer(const InstanceData& instance, std::uint16_t rid) {
    const ResourceData* r = resource(instance, rid);
    if (!r || !r->value) return std::nullopt;
    if (const auto* v = std::get_if<std::int64_t>(&*r->value)) return *v;
    if (const auto* u = std::get_if<std::uint64_t>(&*r->value))
      return static_cast<std::int64_t>(*u);
    return std::nullopt;
  }
  static std::optional<bool> boolean(const InstanceData& instance, std::uint16_t rid) {
    const ResourceData* r = resource(instance, rid);
    if (!r || !r->value) return std::nullopt;
    if (const auto* v = std::get_if<bool>(&*r->value)) return *v;
    return std::nullopt;
  }

  /// Waits for the client's Bootstrap-Request, then writes server 101 at `uri` with `lifetime`
  /// and finishes; every answer checked.
  void provision(const std::string& uri, std::int64_t lifetime) {
    auto request = bs_.waitForEvent(Event::Kind::BootstrapRequest, 10s);
    ASSERT_TRUE(request) << "no Bootstrap-Request; daemon output:\n" << daemon_->output();
    auto deleted = bs_.bootstrapDelete("/");
    ASSERT_TRUE(deleted);
    EXPECT_EQ(deleted->code, kDeleted) << TestLwm2mServer::text(*deleted);
    auto security = bs_.bootstrapWrite("/0/1", kSenmlJson, securityPayload(uri));
    ASSERT_TRUE(security);
    EXPECT_EQ(security->code, kChanged) << TestLwm2mServer::text(*security);
    auto server = bs_.bootstrapWrite("/1/1", kSenmlJson, serverPayload(lifetime));
    ASSERT_TRUE(server);
    EXPECT_EQ(server->code, kChanged) << TestLwm2mServer::text(*server);
    auto finish = bs_.bootstrapFinish();
    ASSERT_TRUE(finish);
    EXPECT_EQ(finish->code, kChanged) << TestLwm2mServer::text(*finish);
  }

  /// Pumps every peer until the saved state (read as the daemon would) satisfies `pred`.
  template <typename Pred>
  bool waitForSavedState(Pred pred, std::chrono::milliseconds timeout) {
    return server_.waitFor(
        [&] {
          LoadResult loaded = loadState();
          return loaded.state && pred(*loaded.state);
        },
        timeout);
  }

  /// Takes off the sockets whatever a killed daemon sent just before it died, so that it is
  /// not mistaken for what the next daemon does.
  void drainPeers() {
    for (int i = 0; i < 3; ++i) {
      server_.pump(std::chrono::milliseconds(1));
      serverB_.pump(std::chrono::milliseconds(0));
      bs_.pump(std::chrono::milliseconds(0));
    }
  }

  static std::size_t count(const TestLwm2mServer& server, Event::Kind kind, std::size_t from = 0) {
    return static_cast<std::size_t>(
        std::count_if(server.events().begin() + static_cast<std::ptrdiff_t>(from),
                      server.events().end(), [kind](const Event& e) { return e.kind == kind; }));
  }

  TestLwm2mServer bs_;
  TestLwm2mServer serverB_;
};

}  // namespace lwm2md::test
