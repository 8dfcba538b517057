#include "dm/execute_arguments.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace lwm2md {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ExecuteArguments, ParsesTheTsExamples) {
  auto args = parseExecuteArguments("0='ab',1,2='3'");
  ASSERT_TRUE(args.ok()) << args.error().message;
  EXPECT_THAT(*args, ElementsAre(ExecuteArgument{0, "ab"}, ExecuteArgument{1, std::nullopt},
                                 ExecuteArgument{2, "3"}));
  auto empty = parseExecuteArguments("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  auto emptyValue = parseExecuteArguments("5=''");
  ASSERT_TRUE(emptyValue.ok());
  EXPECT_EQ((*emptyValue)[0].value, "");
}

TEST(ExecuteArguments, RejectsMalformedLists) {
  for (const char* bad : {"a", "0=ab", "0='ab", "0,", ",0", "0;1", "10", "0=", "1,1", "0='a\tb'"}) {
    auto args = parseExecuteArguments(bad);
    ASSERT_FALSE(args.ok()) << bad;
    EXPECT_EQ(args.error().code, CoapCode::BadRequest);
    EXPECT_THAT(args.error().message, HasSubstr("offset")) << bad;
  }
}

}  // namespace
}  // namespace lwm2md
