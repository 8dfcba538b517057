#include "model/path.hpp"

#include <gtest/gtest.h>

namespace lwm2md {
namespace {

TEST(Path, ParsesEveryDepth) {
  EXPECT_EQ(Path::parse("/"), Path());
  EXPECT_EQ(Path::parse("/3"), Path(3));
  EXPECT_EQ(Path::parse("/3/0/1/2"), Path(3, 0, 1, 2));
  EXPECT_EQ(Path::parse("3/0"), Path(3, 0));
}

TEST(Path, RejectsBadSegments) {
  EXPECT_FALSE(Path::parse("/3/"));
  EXPECT_FALSE(Path::parse("/x"));
  EXPECT_FALSE(Path::parse("/65535"));
  EXPECT_FALSE(Path::parse("/1/2/3/4/5"));
  EXPECT_FALSE(Path::parse("/-1"));
  EXPECT_FALSE(Path::parse("/3//1"));
}

TEST(Path, ContainsAndOrder) {
  EXPECT_TRUE(Path(3).contains(Path(3, 0, 1)));
  EXPECT_FALSE(Path(3, 1).contains(Path(3, 0, 1)));
  EXPECT_LT(Path(3, 0), Path(3, 0, 0));
  EXPECT_LT(Path(3, 0, 5), Path(3, 1));
  EXPECT_EQ(Path(3, 0, 1).toString(), "/3/0/1");
}

}  // namespace
}  // namespace lwm2md
