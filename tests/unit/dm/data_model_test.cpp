#include "dm/data_model.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "build_config.hpp"
#include "ddf/object_registry.hpp"
#include "tree/object_tree.hpp"

namespace lwm2md {
namespace {

using ::testing::HasSubstr;

std::vector<std::uint8_t> bytes(std::string_view text) {
  return {text.begin(), text.end()};
}

class RecordingListener : public TreeListener {
 public:
  void valuesChanged(const Instance& instance, const std::vector<std::uint16_t>& rids,
                     ChangeOrigin origin) override {
    writes.push_back({instance.objectId(), instance.instanceId(), rids, origin});
  }
  void executed(const Instance& instance, std::uint16_t rid, const std::string& args) override {
    executes.push_back({instance.objectId(), rid, args});
  }
  struct Write {
    std::uint16_t oid, iid;
    std::vector<std::uint16_t> rids;
    ChangeOrigin origin;
  };
  struct Execute {
    std::uint16_t oid, rid;
    std::string args;
  };
  std::vector<Write> writes;
  std::vector<Execute> executes;
};

class DataModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::string> errors;
    ASSERT_GT(registry.loadDirectory(LWM2MD_SOURCE_OBJECTS_DIR, errors), 4u);
    ASSERT_TRUE(errors.empty()) << errors.front();
    ResourceData value{5700, ResourceType::Float, false, Value{21.5}, {}};
    ResourceData units{5701, ResourceType::String, false, Value{std::string("Cel")}, {}};
    ASSERT_TRUE(tree.addInstance(3303, 0, {value, units}, ":1.7").ok());
    ResourceData errorCodes{11,
                            ResourceType::Integer,
                            true,
                            std::nullopt,
                            {{0, std::int64_t{0}}, {1, std::int64_t{5}}}};
    ResourceData manufacturer{0, ResourceType::String, false, Value{std::string("ACME")}, {}};
    ResourceData offset{14, ResourceType::String, false, Value{std::string("+01:00")}, {}};
    ASSERT_TRUE(tree.addInstance(3, 0, {manufacturer, errorCodes, offset}, "").ok());
    tree.addListener(&listener);
  }

  DmResponse request(CoapMethod method, std::string_view path,
                     std::optional<std::uint16_t> accept = std::nullopt,
                     std::optional<std::uint16_t> format = std::nullopt,
                     std::string_view payload = "") {
    DmRequest r;
    r.method = method;
    r.path = *Path::parse(path);
    r.accept = accept;
    r.contentFormat = format;
    r.payload = bytes(payload);
    return model.handle(r);
  }

  ObjectRegistry registry;
  ObjectTree tree{registry};
  DataModel model{tree};
  RecordingListener listener;
};

TEST_F(DataModelTest, ReadsASingleResourceAsTextByDefault) {
  auto r = request(CoapMethod::Get, "/3303/0/5700");
  EXPECT_EQ(r.code, CoapCode::Content);
  EXPECT_EQ(r.contentFormat, 0);
  EXPECT_EQ(r.diagnostic(), "21.5");
}

TEST_F(DataModelTest, ReadsAnInstanceAsTlvThatDecodesBack) {
  auto r = request(CoapMethod::Get, "/3303/0", 11542);
  ASSERT_EQ(r.code, CoapCode::Content);
  EXPECT_EQ(r.contentFormat, 11542);
  const ObjectDef* def = registry.find(3303);
  auto decoded = decodeContent(ContentFormat::LwM2MTlv, Path(3303, 0), r.payload,
                               [def](std::uint16_t rid) -> std::optional<ResourceShape> {
                                 auto* res = def->resource(rid);
                                 if (!res) return std::nullopt;
                                 return ResourceShape{res->type, res->multiple};
                               });
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  ASSERT_EQ(decoded->instances.size(), 1u);
  ASSERT_EQ(decoded->instances[0].resources.size(), 2u);
  EXPECT_EQ(decoded->instances[0].resources[0].value, Value{21.5});
}

TEST_F(DataModelTest, ReadsAMultipleResourceInstance) {
  auto r = request(CoapMethod::Get, "/3/0/11/1", 0);
  EXPECT_EQ(r.code, CoapCode::Content);
  EXPECT_EQ(r.diagnostic(), "5");
  EXPECT_EQ(request(CoapMethod::Get, "/3/0/11/7").code, CoapCode::NotFound);
  EXPECT_EQ(request(CoapMethod::Get, "/3/0/11", 0).code, CoapCode::NotAcceptable);
}

TEST_F(DataModelTest, ReadErrorsCarryTheTsCodes) {
  EXPECT_EQ(request(CoapMethod::Get, "/3303/1/5700").code, CoapCode::NotFound);
  EXPECT_EQ(request(CoapMethod::Get, "/9999").code, CoapCode::NotFound);
  EXPECT_EQ(request(CoapMethod::Get, "/3303/0/5603").code, CoapCode::NotFound);    // no value
  EXPECT_EQ(request(CoapMethod::Get, "/3/0/4").code, CoapCode::MethodNotAllowed);  // executable
  auto r = request(CoapMethod::Get, "/3303/0/5700", 9999);
  EXPECT_EQ(r.code, CoapCode::NotAcceptable);
  EXPECT_FALSE(r.diagnostic().empty());
}

TEST_F(DataModelTest, WritesAResourceAndTellsListenersItCameFromTheServer) {
  auto r = request(CoapMethod::Put, "/3/0/14", std::nullopt, 0, "+02:00");
  ASSERT_EQ(r.code, CoapCode::Changed) << r.diagnostic();
  EXPECT_EQ(tree.find(3, 0)->resource(14)->value, Value{std::string("+02:00")});
  ASSERT_EQ(listener.writes.size(), 1u);
  EXPECT_EQ(listener.writes[0].rids, std::vector<std::uint16_t>{14});
  EXPECT_EQ(listener.writes[0].origin, ChangeOrigin::Server);
}

TEST_F(DataModelTest, WriteErrorsChangeNothing) {
  EXPECT_EQ(request(CoapMethod::Put, "/3303/0/5700", std::nullopt, 0, "1.0").code,
            CoapCode::MethodNotAllowed);  // read-only
  EXPECT_EQ(request(CoapMethod::Put, "/3/0/14", std::nullopt, std::nullopt, "x").code,
            CoapCode::BadRequest);  // no Content-Format
  EXPECT_EQ(request(CoapMethod::Put, "/3/0/14", std::nullopt, 9999, "x").code,
            CoapCode::UnsupportedContentFormat);
  EXPECT_EQ(request(CoapMethod::Put, "/3/0/13", std::nullopt, 0, "12x").code,
            CoapCode::BadRequest);  // not an integer
  EXPECT_EQ(request(CoapMethod::Put, "/3/7/14", std::nullopt, 0, "+02:00").code,
            CoapCode::NotFound);
  EXPECT_TRUE(listener.writes.empty());
  EXPECT_EQ(tree.find(3, 0)->resource(14)->value, Value{std::string("+01:00")});
}

TEST_F(DataModelTest, ExecutesWithValidatedArguments) {
  auto r = request(CoapMethod::Post, "/3/0/4", std::nullopt, 0, "0='now'");
  ASSERT_EQ(r.code, CoapCode::Changed) << r.diagnostic();
  ASSERT_EQ(listener.executes.size(), 1u);
  EXPECT_EQ(listener.executes[0].rid, 4);
  EXPECT_EQ(listener.executes[0].args, "0='now'");
  EXPECT_EQ(request(CoapMethod::Post, "/3/0/4", std::nullopt, 0, "now").code, CoapCode::BadRequest);
  EXPECT_EQ(request(CoapMethod::Post, "/3/0/0").code, CoapCode::MethodNotAllowed);
  EXPECT_EQ(listener.executes.size(), 1u);
}

TEST_F(DataModelTest, DiscoverListsPresentResources) {
  auto r = request(CoapMethod::Get, "/3303/0", 40);
  ASSERT_EQ(r.code, CoapCode::Content);
  EXPECT_EQ(r.diagnostic(), "</3303/0>,</3303/0/5700>,</3303/0/5701>");
  auto multi = request(CoapMethod::Get, "/3/0/11", 40);
  EXPECT_EQ(multi.diagnostic(), "</3/0/11>;dim=2");
}

}  // namespace
}  // namespace lwm2md
