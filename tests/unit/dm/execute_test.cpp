// Execute (TS 1.1 §5.4.5): POST on an executable resource with validated arguments.
#include "dm_fixture.hpp"

namespace lwm2md::test {
namespace {

class ExecuteTest : public DmTest {};

TEST_F(ExecuteTest, ExecutesWithValidatedArguments) {
  auto r = request(CoapMethod::Post, "/3/0/4", std::nullopt, 0, "0='now'");
  ASSERT_EQ(r.code, CoapCode::Changed) << r.diagnostic();
  ASSERT_EQ(listener.executes.size(), 1u);
  EXPECT_EQ(listener.executes[0].rid, 4);
  EXPECT_EQ(listener.executes[0].args, "0='now'");
  EXPECT_EQ(request(CoapMethod::Post, "/3/0/4", std::nullopt, 0, "now").code, CoapCode::BadRequest);
  EXPECT_EQ(request(CoapMethod::Post, "/3/0/4", std::nullopt, 0, "0='a',0").code,
            CoapCode::BadRequest);
  EXPECT_EQ(listener.executes.size(), 1u);
}

TEST_F(ExecuteTest, WithoutArguments) {
  ASSERT_EQ(request(CoapMethod::Post, "/3303/0/5605").code, CoapCode::Changed);
  ASSERT_EQ(listener.executes.size(), 1u);
  EXPECT_EQ(listener.executes[0].oid, 3303);
  EXPECT_EQ(listener.executes[0].args, "");
}

TEST_F(ExecuteTest, MissingThingsAre404) {
  EXPECT_EQ(request(CoapMethod::Post, "/3/1/4").code, CoapCode::NotFound);
  EXPECT_EQ(request(CoapMethod::Post, "/9999/0/1").code, CoapCode::NotFound);
  EXPECT_EQ(request(CoapMethod::Post, "/3/0/999").code, CoapCode::NotFound);
  EXPECT_TRUE(listener.executes.empty());
}

}  // namespace
}  // namespace lwm2md::test
