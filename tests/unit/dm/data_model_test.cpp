// How DataModel::handle maps CoAP methods, paths and options onto operations (LwM2M 1.1
// Transport binding, CoAP mapping of the Device Management interface).
#include "dm_fixture.hpp"

namespace lwm2md::test {
namespace {

class RoutingTest : public DmTest {};

TEST_F(RoutingTest, GetWithLinkFormatAcceptIsDiscover) {
  auto r = request(CoapMethod::Get, "/3303/0", 40);
  ASSERT_EQ(r.code, CoapCode::Content);
  EXPECT_EQ(r.contentFormat, 40);
  EXPECT_EQ(r.diagnostic().rfind("</3303/0>", 0), 0u);
  auto read = request(CoapMethod::Get, "/3303/0", 11542);
  EXPECT_EQ(read.contentFormat, 11542);
}

TEST_F(RoutingTest, PutWithQueryIsWriteAttributesWithoutIsWrite) {
  EXPECT_EQ(writeAttributes("/3303/0", {"pmin=3"}).code, CoapCode::Changed);
  EXPECT_EQ(attributes.at(1, Path(3303, 0)).pmin, 3u);
  EXPECT_TRUE(listener.quiet());
  EXPECT_EQ(request(CoapMethod::Put, "/3303/0/5750", std::nullopt, 0, "room").code,
            CoapCode::Changed);
  EXPECT_EQ(listener.writes.size(), 1u);
}

TEST_F(RoutingTest, PostRoutesByDepthAndDefinition) {
  EXPECT_EQ(request(CoapMethod::Post, "/32769", std::nullopt, 0, "").code,
            CoapCode::BadRequest);  // Create: the mandatory Name is missing
  EXPECT_EQ(request(CoapMethod::Post, "/32769/0/2", std::nullopt, 0, "7").code,
            CoapCode::Changed);                                                // partial update
  EXPECT_EQ(request(CoapMethod::Post, "/32769/0/4").code, CoapCode::Changed);  // Execute
  EXPECT_EQ(listener.executes.size(), 1u);
  EXPECT_EQ(request(CoapMethod::Post, "/").code, CoapCode::MethodNotAllowed);
}

TEST_F(RoutingTest, FetchIsReadCompositeIPatchIsWriteCompositePatchIs405) {
  auto read = request(CoapMethod::Fetch, "/", std::nullopt, 110, R"([{"n":"/1/0/7"}])");
  EXPECT_EQ(read.code, CoapCode::Content) << read.diagnostic();
  EXPECT_EQ(read.contentFormat, 110);
  EXPECT_EQ(
      request(CoapMethod::IPatch, "/", std::nullopt, 110, R"([{"n":"/1/0/6","vb":true}])").code,
      CoapCode::Changed);
  EXPECT_EQ(request(CoapMethod::Patch, "/3/0").code, CoapCode::MethodNotAllowed);
}

TEST_F(RoutingTest, AModelWithoutASharedStoreKeepsItsOwn) {
  DataModel own(tree);
  DmRequest r;
  r.method = CoapMethod::Put;
  r.path = Path(3, 0);
  r.query = {"pmax=9"};
  r.serverShortId = 4;
  EXPECT_EQ(own.handle(r).code, CoapCode::Changed);
  EXPECT_EQ(own.attributes().at(4, Path(3, 0)).pmax, 9u);
  EXPECT_TRUE(attributes.all().empty());
}

}  // namespace
}  // namespace lwm2md::test
