#include "dm/attribute_query.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace lwm2md {
namespace {

using ::testing::HasSubstr;

TEST(AttributeQuery, ParsesEveryAttribute) {
  auto parsed = parseAttributeQuery(
      {"pmin=1", "pmax=4294967295", "gt=-2.5", "lt=-10", "st=0.5", "epmin=0", "epmax=30", "con=0"});
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->set.pmin, 1u);
  EXPECT_EQ(parsed->set.pmax, 4294967295u);
  EXPECT_EQ(parsed->set.gt, -2.5);
  EXPECT_EQ(parsed->set.lt, -10.0);
  EXPECT_EQ(parsed->set.st, 0.5);
  EXPECT_EQ(parsed->set.epmin, 0u);
  EXPECT_EQ(parsed->set.epmax, 30u);
  EXPECT_EQ(parsed->set.con, false);
  EXPECT_TRUE(parsed->clear.empty());
}

TEST(AttributeQuery, ANameWithoutValueClears) {
  auto parsed = parseAttributeQuery({"gt", "con", "epmax"});
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->set.empty());
  EXPECT_TRUE(parsed->clear.gt && parsed->clear.con && parsed->clear.epmax);
  NotificationAttributes current;
  current.gt = 1;
  current.pmin = 3;
  const auto after = applyChanges(current, *parsed);
  EXPECT_FALSE(after.gt);
  EXPECT_EQ(after.pmin, 3u);
}

TEST(AttributeQuery, RejectsMalformedItemsNamingThem) {
  for (const char* item : {"pmin=+1", "pmin= 1", "pmin=0x10", "gt=1e999", "gt=inf",
                           "lt=", "st=-0.5", "con=true", "=5", "PMIN=1", "ver=1.1"}) {
    auto parsed = parseAttributeQuery({item});
    ASSERT_FALSE(parsed.ok()) << item;
    EXPECT_EQ(parsed.error().code, CoapCode::BadRequest) << item;
    EXPECT_FALSE(parsed.error().message.empty());
  }
  EXPECT_THAT(parseAttributeQuery({"foo=1"}).error().message, HasSubstr("'foo'"));
  EXPECT_THAT(parseAttributeQuery({"pmax=x"}).error().message, HasSubstr("'pmax=x'"));
}

TEST(AttributeQuery, ConsistencyRules) {
  NotificationAttributes a;
  a.pmin = 5;
  a.pmax = 5;
  EXPECT_TRUE(checkConsistency(a).ok());
  a.pmax = 4;
  EXPECT_FALSE(checkConsistency(a).ok());
  NotificationAttributes b;
  b.lt = 1;
  b.gt = 6;
  b.st = 2.4;
  EXPECT_TRUE(checkConsistency(b).ok());
  b.st = 2.5;  // 1 + 5 is not below 6
  EXPECT_FALSE(checkConsistency(b).ok());
  NotificationAttributes c;
  c.gt = 1;
  c.st = 100;  // without lt the step rule does not apply
  EXPECT_TRUE(checkConsistency(c).ok());
}

TEST(AttributeQuery, LinkAttributesInTheTsOrder) {
  NotificationAttributes a;
  a.con = true;
  a.st = 0.25;
  a.gt = 6;
  a.pmax = 60;
  a.pmin = 1;
  a.epmax = 9;
  std::vector<std::string> names;
  std::vector<std::string> values;
  for (const auto& attribute : toLinkAttributes(a)) {
    names.push_back(attribute.name);
    values.push_back(attribute.value.value_or("?"));
  }
  EXPECT_EQ(names, (std::vector<std::string>{"pmin", "pmax", "gt", "st", "epmax", "con"}));
  EXPECT_EQ(values, (std::vector<std::string>{"1", "60", "6", "0.25", "9", "1"}));
}

}  // namespace
}  // namespace lwm2md
