// Write-Attributes (TS 1.1 §5.4.4, §5.1.2): PUT with Uri-Query, per server, with the TS's rules.
#include "dm_fixture.hpp"

namespace lwm2md::test {
namespace {

using ::testing::HasSubstr;

class WriteAttributesTest : public DmTest {
 protected:
  void expectRefused(std::string_view path, std::vector<std::string> query, CoapCode code,
                     const std::string& reason) {
    const auto before = attributes.all();
    auto r = writeAttributes(path, query);
    EXPECT_EQ(toString(r.code), toString(code)) << path << " " << r.diagnostic();
    EXPECT_THAT(r.diagnostic(), HasSubstr(reason)) << path;
    EXPECT_EQ(attributes.all(), before) << "a refused Write-Attributes changed the store";
  }
};

TEST_F(WriteAttributesTest, StoresAttributesPerServerAndLevel) {
  ASSERT_EQ(writeAttributes("/3", {"pmin=10", "pmax=200"}).code, CoapCode::Changed);
  ASSERT_EQ(writeAttributes("/3/0", {"pmax=320"}).code, CoapCode::Changed);
  ASSERT_EQ(writeAttributes("/3/0/11/0", {"pmax=100", "epmin=1", "epmax=20"}).code,
            CoapCode::Changed);
  ASSERT_EQ(writeAttributes("/32769/0/2", {"gt=6", "lt=1", "st=1", "con=1"}).code,
            CoapCode::Changed);
  EXPECT_EQ(attributes.at(1, Path(3)).pmin, 10u);
  EXPECT_EQ(attributes.at(1, Path(3)).pmax, 200u);
  EXPECT_EQ(attributes.at(1, Path(3, 0)).pmax, 320u);
  const auto ri = attributes.at(1, Path(3, 0, 11, 0));
  EXPECT_EQ(ri.pmax, 100u);
  EXPECT_EQ(ri.epmin, 1u);
  EXPECT_EQ(ri.epmax, 20u);
  const auto level = attributes.at(1, Path(kTestObject, 0, 2));
  EXPECT_EQ(level.gt, 6.0);
  EXPECT_EQ(level.lt, 1.0);
  EXPECT_EQ(level.st, 1.0);
  EXPECT_EQ(level.con, true);
  EXPECT_TRUE(attributes.at(2, Path(3)).empty());
  serverShortId = 2;
  ASSERT_EQ(writeAttributes("/3", {"pmin=1"}).code, CoapCode::Changed);
  EXPECT_EQ(attributes.at(2, Path(3)).pmin, 1u);
  EXPECT_EQ(attributes.at(1, Path(3)).pmin, 10u);
  EXPECT_TRUE(listener.quiet());  // attributes are not values
}

TEST_F(WriteAttributesTest, AnAttributeWithoutValueIsRemoved) {
  ASSERT_EQ(writeAttributes("/3/0", {"pmin=5", "pmax=50"}).code, CoapCode::Changed);
  ASSERT_EQ(writeAttributes("/3/0", {"pmin", "pmax=60"}).code, CoapCode::Changed);
  EXPECT_FALSE(attributes.at(1, Path(3, 0)).pmin);
  EXPECT_EQ(attributes.at(1, Path(3, 0)).pmax, 60u);
  ASSERT_EQ(writeAttributes("/3/0", {"pmax"}).code, CoapCode::Changed);
  EXPECT_TRUE(attributes.all().empty());
}

TEST_F(WriteAttributesTest, NewValuesAreCheckedAgainstWhatIsStored) {
  ASSERT_EQ(writeAttributes("/3/0/6", {"pmax=5"}).code, CoapCode::Changed);
  expectRefused("/3/0/6", {"pmin=10"}, CoapCode::BadRequest, "pmin (10) must not exceed pmax (5)");
  ASSERT_EQ(writeAttributes("/3/0/6", {"pmin=10", "pmax"}).code, CoapCode::Changed);
}

TEST_F(WriteAttributesTest, TheTsValidityRules) {
  expectRefused("/3/0", {"pmin=20", "pmax=10"}, CoapCode::BadRequest, "pmin (20)");
  expectRefused("/3/0", {"epmin=20", "epmax=10"}, CoapCode::BadRequest, "epmin (20)");
  expectRefused("/32769/0/2", {"lt=6", "gt=6"}, CoapCode::BadRequest, "lt (6) must be less");
  expectRefused("/32769/0/2", {"lt=1", "gt=6", "st=3"}, CoapCode::BadRequest, "lt + 2*st");
  expectRefused("/32769/0", {"gt=6"}, CoapCode::BadRequest, "attach to resources");
  expectRefused("/32769", {"st=1"}, CoapCode::BadRequest, "attach to resources");
  expectRefused("/32769/0/0", {"gt=6"}, CoapCode::BadRequest, "numeric");
  expectRefused("/3/0/14", {"lt=6"}, CoapCode::BadRequest, "numeric");
  expectRefused("/3/0", {"pmin=-1"}, CoapCode::BadRequest, "pmin=-1");
  expectRefused("/3/0", {"pmin=1.5"}, CoapCode::BadRequest, "pmin=1.5");
  expectRefused("/3/0", {"pmin="}, CoapCode::BadRequest, "pmin=");
  expectRefused("/3/0", {"pmax=4294967296"}, CoapCode::BadRequest, "pmax=4294967296");
  expectRefused("/32769/0/2", {"gt=abc"}, CoapCode::BadRequest, "gt=abc");
  expectRefused("/32769/0/2", {"gt=nan"}, CoapCode::BadRequest, "gt=nan");
  expectRefused("/32769/0/2", {"st=-1"}, CoapCode::BadRequest, "negative");
  expectRefused("/3/0", {"con=2"}, CoapCode::BadRequest, "con");
  expectRefused("/3/0", {"pmin=1", "pmin=2"}, CoapCode::BadRequest, "more than once");
  expectRefused("/3/0", {"pmin=1", "pmin"}, CoapCode::BadRequest, "more than once");
  expectRefused("/3/0", {"pmin=1", "foo=1"}, CoapCode::BadRequest, "unknown attribute 'foo'");
  expectRefused("/3/0", {"dim=2"}, CoapCode::BadRequest, "unknown attribute 'dim'");
}

TEST_F(WriteAttributesTest, MissingThingsAndWrongTargets) {
  expectRefused("/9999", {"pmin=1"}, CoapCode::NotFound, "9999");
  expectRefused("/3/1", {"pmin=1"}, CoapCode::NotFound, "/3/1");
  expectRefused("/3/0/99", {"pmin=1"}, CoapCode::NotFound, "99");
  expectRefused("/32769/0/3", {"pmin=1"}, CoapCode::NotFound, "no value");
  expectRefused("/3/0/11/9", {"pmin=1"}, CoapCode::NotFound, "/3/0/11/9");
  expectRefused("/3/0/14/0", {"pmin=1"}, CoapCode::NotFound, "single-instance");
  expectRefused("/3/0/4", {"pmin=1"}, CoapCode::MethodNotAllowed, "executable");
  expectRefused("/", {"pmin=1"}, CoapCode::MethodNotAllowed, "applies to");
  const auto before = attributes.all();
  auto withPayload = request(CoapMethod::Put, "/3/0", std::nullopt, 0, "1", {"pmin=1"});
  EXPECT_EQ(withPayload.code, CoapCode::BadRequest);
  EXPECT_EQ(attributes.all(), before);
}

}  // namespace
}  // namespace lwm2md::test
