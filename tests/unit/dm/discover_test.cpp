// Discover (TS 1.1 §5.4.2): what each level lists, with the attributes of the asking server.
#include "dm_fixture.hpp"

namespace lwm2md::test {
namespace {

class DiscoverTest : public DmTest {
 protected:
  std::string discover(std::string_view path) {
    auto r = request(CoapMethod::Get, path, 40);
    EXPECT_EQ(r.code, CoapCode::Content) << path << ": " << r.diagnostic();
    EXPECT_EQ(r.contentFormat, 40);
    return r.diagnostic();
  }
  void attach(std::uint16_t server, const Path& path, std::vector<std::string> query) {
    serverShortId = server;
    auto r = writeAttributes(path.toString(), std::move(query));
    ASSERT_EQ(r.code, CoapCode::Changed) << r.diagnostic();
    serverShortId = 1;
  }
};

TEST_F(DiscoverTest, ObjectLevelListsInstancesAndImplementedResources) {
  // Executable resources count as implemented; Blob (3) and Flag (6) hold no value.
  EXPECT_EQ(discover("/32769"),
            "</32769>;ver=1.2,</32769/0>,</32769/0/0>,</32769/0/1>;dim=2,</32769/0/2>,"
            "</32769/0/4>,</32769/0/5>");
  EXPECT_EQ(discover("/3303"),
            "</3303>;ver=1.1,</3303/0>,</3303/0/5605>,</3303/0/5700>,</3303/0/5701>");
}

TEST_F(DiscoverTest, ObjectLevelShowsOnlyTheObjectsAttributes) {
  attach(1, Path(kTestObject), {"pmin=10", "pmax=200"});
  attach(1, Path(kTestObject, 0), {"pmax=320"});
  attach(1, Path(kTestObject, 0, 2), {"gt=6"});
  EXPECT_EQ(discover("/32769"),
            "</32769>;ver=1.2;pmin=10;pmax=200,</32769/0>,</32769/0/0>,</32769/0/1>;dim=2,"
            "</32769/0/2>,</32769/0/4>,</32769/0/5>");
}

TEST_F(DiscoverTest, InstanceLevelShowsTheInstancesAndTheResourcesAttributes) {
  attach(1, Path(kTestObject), {"pmin=10"});
  attach(1, Path(kTestObject, 0), {"pmax=320"});
  attach(1, Path(kTestObject, 0, 2), {"lt=1", "gt=6", "st=1"});
  attach(1, Path(kTestObject, 0, 1), {"epmin=1", "epmax=20"});
  EXPECT_EQ(discover("/32769/0"),
            "</32769/0>;pmax=320,</32769/0/0>,</32769/0/1>;dim=2;epmin=1;epmax=20,"
            "</32769/0/2>;gt=6;lt=1;st=1,</32769/0/4>,</32769/0/5>");
}

TEST_F(DiscoverTest, ResourceLevelInheritsAndListsResourceInstances) {
  attach(1, Path(kTestObject), {"pmin=10", "pmax=200"});
  attach(1, Path(kTestObject, 0), {"pmax=320"});
  attach(1, Path(kTestObject, 0, 1, 0), {"pmax=100", "epmin=1", "epmax=20"});
  EXPECT_EQ(discover("/32769/0/1"),
            "</32769/0/1>;dim=2;pmin=10;pmax=320,</32769/0/1/0>;pmax=100;epmin=1;epmax=20,"
            "</32769/0/1/1>");
  attach(1, Path(kTestObject, 0, 2), {"pmin=1", "gt=2.5"});
  EXPECT_EQ(discover("/32769/0/2"), "</32769/0/2>;pmin=1;pmax=320;gt=2.5");
  EXPECT_EQ(discover("/32769/0/4"), "</32769/0/4>;pmin=10;pmax=320");
}

TEST_F(DiscoverTest, EachServerSeesItsOwnAttributes) {
  attach(2, Path(kTestObject, 0), {"pmax=60"});
  EXPECT_EQ(discover("/32769/0/2"), "</32769/0/2>");
  serverShortId = 2;
  EXPECT_EQ(discover("/32769/0/2"), "</32769/0/2>;pmax=60");
}

TEST_F(DiscoverTest, ObjectVersionAndDimOnTheDevice) {
  EXPECT_EQ(discover("/3/0/6"), "</3/0/6>;dim=2,</3/0/6/0>,</3/0/6/1>");
  std::string object = discover("/3");
  EXPECT_EQ(object.rfind("</3>;ver=1.1,</3/0>,</3/0/0>,", 0), 0u) << object;
  EXPECT_NE(object.find("</3/0/4>"), std::string::npos) << object;  // Reboot
}

TEST_F(DiscoverTest, ErrorCodes) {
  EXPECT_EQ(request(CoapMethod::Get, "/", 40).code, CoapCode::MethodNotAllowed);
  EXPECT_EQ(request(CoapMethod::Get, "/3/0/6/0", 40).code, CoapCode::MethodNotAllowed);
  EXPECT_EQ(request(CoapMethod::Get, "/9999", 40).code, CoapCode::NotFound);
  EXPECT_EQ(request(CoapMethod::Get, "/32769/4", 40).code, CoapCode::NotFound);
  EXPECT_EQ(request(CoapMethod::Get, "/32769/0/3", 40).code, CoapCode::NotFound);   // no value
  EXPECT_EQ(request(CoapMethod::Get, "/32769/0/99", 40).code, CoapCode::NotFound);  // undefined
}

}  // namespace
}  // namespace lwm2md::test
