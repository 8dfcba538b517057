#include "objects/server_object.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "build_config.hpp"
#include "ddf/object_registry.hpp"
#include "tree/object_tree.hpp"

namespace lwm2md {
namespace {

using ::testing::HasSubstr;

ResourceData integer(std::uint16_t rid, std::int64_t value) {
  return {rid, ResourceType::Integer, false, Value{value}, {}};
}
ResourceData unsignedInt(std::uint16_t rid, std::uint64_t value) {
  return {rid, ResourceType::UnsignedInteger, false, Value{value}, {}};
}
ResourceData text(std::uint16_t rid, const std::string& value) {
  return {rid, ResourceType::String, false, Value{value}, {}};
}

std::vector<std::uint8_t> bytes(const std::string& s) {
  return {s.begin(), s.end()};
}

TEST(BindingError, AcceptsBindingsWithUdp) {
  for (const char* ok : {"U", "UQ", "US", "UQS", "TU", "UMHTSNQ"})
    EXPECT_EQ(bindingError(ok), std::nullopt) << ok;
}

TEST(BindingError, RefusesWhatTheDaemonCannotHonour) {
  EXPECT_THAT(bindingError("").value_or(""), HasSubstr("empty"));
  EXPECT_THAT(bindingError("T").value_or(""), HasSubstr("lacks U"));
  EXPECT_THAT(bindingError("Q").value_or(""), HasSubstr("lacks U"));
  EXPECT_THAT(bindingError("UU").value_or(""), HasSubstr("twice"));
  EXPECT_THAT(bindingError("UX").value_or(""), HasSubstr("'X'"));
  EXPECT_THAT(bindingError("u").value_or(""), HasSubstr("'u'"));
  EXPECT_THAT(bindingError("U Q").value_or(""), HasSubstr("' '"));
}

TEST(ValidateServerValues, LifetimeMustBeAtLeastOneSecond) {
  EXPECT_TRUE(validateServerValues({integer(1, 1)}).ok());
  EXPECT_TRUE(validateServerValues({integer(1, 4294967295)}).ok());
  for (std::int64_t bad : {std::int64_t{0}, std::int64_t{-1}, std::int64_t{4294967296}}) {
    auto status = validateServerValues({integer(1, bad)});
    ASSERT_FALSE(status.ok()) << bad;
    EXPECT_EQ(status.error().code, CoapCode::BadRequest);
    EXPECT_THAT(status.error().message, HasSubstr("Lifetime"));
  }
}

TEST(ValidateServerValues, PeriodsAndDisableTimeoutMustNotBeNegative) {
  EXPECT_TRUE(validateServerValues({integer(2, 0), integer(3, 0), integer(5, 0)}).ok());
  for (std::uint16_t rid : {2, 3, 5}) EXPECT_FALSE(validateServerValues({integer(rid, -1)}).ok());
}

TEST(ValidateServerValues, OneBadValueRefusesTheWholeWrite) {
  auto status = validateServerValues({integer(1, 60), text(7, "S"), integer(2, 1)});
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.error().message, HasSubstr("Binding 'S'"));
}

class ServerObjectTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::string> errors;
    ASSERT_GT(registry.loadDirectory(LWM2MD_SOURCE_OBJECTS_DIR, errors), 2u);
    ASSERT_TRUE(tree.addInstance(1, 0, {integer(0, 1), integer(1, 60), text(7, "U")}, "").ok());
    ASSERT_TRUE(tree.addInstance(1, 4,
                                 {integer(0, 7), integer(1, 30), integer(5, 10), text(7, "UQ"),
                                  unsignedInt(17, 3), unsignedInt(18, 5), unsignedInt(19, 60),
                                  unsignedInt(20, 2)},
                                 "")
                    .ok());
  }
  DmRequest put(const std::string& path, std::uint16_t format, const std::string& payload) {
    DmRequest request;
    request.method = CoapMethod::Put;
    request.path = *Path::parse(path);
    request.contentFormat = format;
    request.payload = bytes(payload);
    return request;
  }
  ObjectRegistry registry;
  ObjectTree tree{registry};
};

TEST_F(ServerObjectTreeTest, FindsTheInstanceByShortServerId) {
  ASSERT_NE(findServerInstance(tree, 7), nullptr);
  EXPECT_EQ(findServerInstance(tree, 7)->instanceId(), 4);
  EXPECT_EQ(findServerInstance(tree, 1)->instanceId(), 0);
  EXPECT_EQ(findServerInstance(tree, 2), nullptr);
}

TEST_F(ServerObjectTreeTest, ReadsEveryRegistrationResource) {
  const ServerAccount account = readServerAccount(*findServerInstance(tree, 7));
  EXPECT_EQ(account.shortId, 7);
  EXPECT_EQ(account.lifetime, 30u);
  EXPECT_EQ(account.binding, "UQ");
  EXPECT_EQ(account.disableTimeout, 10u);
  EXPECT_EQ(account.retryCount, 3u);
  EXPECT_EQ(account.retryTimer, 5u);
  EXPECT_EQ(account.sequenceDelay, 60u);
  EXPECT_EQ(account.sequenceRetryCount, 2u);
}

TEST_F(ServerObjectTreeTest, AbsentResourcesAreDefaults) {
  const ServerAccount account = readServerAccount(*findServerInstance(tree, 1));
  EXPECT_EQ(account.disableTimeout, 86400u);
  EXPECT_EQ(account.retryCount, std::nullopt);
  EXPECT_EQ(account.retryTimer, std::nullopt);
  EXPECT_EQ(account.sequenceDelay, std::nullopt);
  EXPECT_EQ(account.sequenceRetryCount, std::nullopt);
}

TEST_F(ServerObjectTreeTest, OutOfRangeStoredValuesAreClamped) {
  ASSERT_TRUE(
      tree.addInstance(1, 9, {integer(0, 9), integer(1, 0), integer(5, -3), text(7, "")}, "").ok());
  const ServerAccount account = readServerAccount(*findServerInstance(tree, 9));
  EXPECT_EQ(account.lifetime, 1u);
  EXPECT_EQ(account.disableTimeout, 0u);
  EXPECT_EQ(account.binding, "U");
}

TEST_F(ServerObjectTreeTest, TreeValidatorGuardsEveryWritePath) {
  tree.setValidator(server_object::kObjectId,
                    [](const Instance&, const std::vector<ResourceData>& values) {
                      return validateServerValues(values);
                    });
  const auto lifetimeOf = [&] { return readServerAccount(*findServerInstance(tree, 1)).lifetime; };
  const auto before = lifetimeOf();
  auto zero = tree.setValues(1, 0, {integer(1, 0)}, ChangeOrigin::Server);
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.error().code, CoapCode::BadRequest);
  EXPECT_EQ(lifetimeOf(), before);  // nothing changed
  EXPECT_FALSE(tree.setValues(1, 0, {text(7, "UZ")}, ChangeOrigin::Server).ok());
  EXPECT_TRUE(tree.setValues(1, 0, {text(7, "UQ")}, ChangeOrigin::Server).ok());
  EXPECT_TRUE(tree.setValues(1, 0, {integer(1, 61)}, ChangeOrigin::Server).ok());
  EXPECT_EQ(lifetimeOf(), 61u);
  // validate() is what Write-Composite checks every instance with before changing any.
  EXPECT_FALSE(tree.validate(*findServerInstance(tree, 1), {integer(1, 0)}).ok());
  // A new instance is held to the same rules.
  EXPECT_FALSE(tree.addInstance(1, 7, {integer(0, 7), integer(1, 0), text(7, "U")}, "").ok());
  EXPECT_EQ(tree.find(1, 7), nullptr);
}

}  // namespace
}  // namespace lwm2md
