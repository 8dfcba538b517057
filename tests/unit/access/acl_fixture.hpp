#pragma once

#include <map>

#include "../dm/dm_fixture.hpp"
#include "access/access_control.hpp"

namespace lwm2md::test {

constexpr std::uint16_t kAclObject = 2;
constexpr std::uint16_t kSenmlJson = 110;
constexpr std::uint16_t kLinkFormat = 40;
constexpr std::uint16_t kTextPlain = 0;

/// The DM fixture with two DM servers (short ids 1 and 2, as /1/0 and /1/1), so Access Control
/// applies, and the data model enforcing it.
class AclTest : public DmTest {
 protected:
  void SetUp() override {
    DmTest::SetUp();
    ASSERT_TRUE(tree.addInstance(1, 1,
                                 {single(0, ResourceType::Integer, std::int64_t{2}),
                                  single(1, ResourceType::Integer, std::int64_t{86400}),
                                  single(6, ResourceType::Boolean, false),
                                  single(7, ResourceType::String, std::string("U"))},
                                 "")
                    .ok());
    model.setAccessControl(&access);
    listener = RecordingListener{};
  }

  /// Adds an Access Control instance for /oid/iid (iid 65535: Create on oid); returns its id.
  std::uint16_t addAcl(std::uint16_t oid, std::uint16_t iid, std::int64_t owner,
                       std::map<std::uint16_t, std::int64_t> entries = {}) {
    std::vector<ResourceData> values{single(0, ResourceType::Integer, std::int64_t{oid}),
                                     single(1, ResourceType::Integer, std::int64_t{iid}),
                                     single(3, ResourceType::Integer, owner)};
    if (!entries.empty()) {
      std::map<std::uint16_t, Value> acl;
      for (const auto& [server, bits] : entries) acl[server] = bits;
      values.push_back(multiple(2, ResourceType::Integer, std::move(acl)));
    }
    auto added = tree.addInstance(kAclObject, Path::kInvalidId, values, "");
    EXPECT_TRUE(added.ok()) << added.error().message;
    return added.ok() ? (*added)->instanceId() : 0;
  }

  /// Sends as `server`.
  DmResponse as(std::uint16_t server, CoapMethod method, std::string_view path,
                std::optional<std::uint16_t> accept = std::nullopt,
                std::optional<std::uint16_t> format = std::nullopt, std::string_view payload = "",
                std::vector<std::string> query = {}) {
    serverShortId = server;
    return request(method, path, accept, format, payload, std::move(query));
  }

  /// Write (PUT, text/plain) of /32769/0/2 (Level).
  DmResponse writeLevel(std::uint16_t server, std::string_view level) {
    return as(server, CoapMethod::Put, "/32769/0/2", std::nullopt, kTextPlain, level);
  }

  AccessControl access{tree};
};

}  // namespace lwm2md::test
