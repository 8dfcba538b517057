#include "dbus/service/value_conversion.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "build_config.hpp"
#include "ddf/object_registry.hpp"
#include "test_objects.hpp"

namespace lwm2md {
namespace {

using Objlnk2 = sdbus::Struct<std::uint16_t, std::uint16_t>;
using test::kTypesOid;

const ResourceData* findResource(const std::vector<ResourceData>& data, std::uint16_t rid) {
  for (const auto& r : data)
    if (r.id == rid) return &r;
  return nullptr;
}

TEST(ValueConversion, AcceptsEveryTypeWithItsSignature) {
  const ObjectDef def = test::typesDef();
  DbusValues in;
  in[0] = sdbus::Variant(std::string("héllo"));
  in[1] = sdbus::Variant(std::int64_t{-5});
  in[2] = sdbus::Variant(std::numeric_limits<std::uint64_t>::max());
  in[3] = sdbus::Variant(21.5);
  in[4] = sdbus::Variant(true);
  in[5] = sdbus::Variant(std::vector<std::uint8_t>{0, 1, 0xff});
  in[6] = sdbus::Variant(std::int64_t{1700000000});
  in[7] = sdbus::Variant(Objlnk2(3, 65535));
  in[8] = sdbus::Variant(std::string("</3/0>"));

  auto out = valuesFromDbus(def, in);
  ASSERT_TRUE(out.ok()) << out.error().message;
  ASSERT_EQ(out->size(), 9u);
  EXPECT_EQ(findResource(*out, 0)->value, Value(std::string("héllo")));
  EXPECT_EQ(findResource(*out, 0)->type, ResourceType::String);
  EXPECT_EQ(findResource(*out, 1)->value, Value(std::int64_t{-5}));
  EXPECT_EQ(findResource(*out, 2)->value, Value(std::numeric_limits<std::uint64_t>::max()));
  EXPECT_EQ(findResource(*out, 3)->value, Value(21.5));
  EXPECT_EQ(findResource(*out, 4)->value, Value(true));
  EXPECT_EQ(findResource(*out, 5)->value, Value(Opaque{0, 1, 0xff}));
  EXPECT_EQ(findResource(*out, 6)->type, ResourceType::Time);
  EXPECT_EQ(findResource(*out, 6)->value, Value(std::int64_t{1700000000}));
  EXPECT_EQ(findResource(*out, 7)->value, Value(Objlnk{3, 65535}));
  EXPECT_EQ(findResource(*out, 8)->type, ResourceType::Corelnk);
  for (const auto& r : *out) EXPECT_FALSE(r.multiple);

  // And back: each resource comes out with the signature it went in with, and equal.
  InstanceData instance{0, *out};
  DbusValues back = valuesToDbus(instance);
  ASSERT_EQ(back.size(), in.size());
  for (const auto& [rid, v] : in) EXPECT_EQ(back.at(rid).peekValueType(), v.peekValueType()) << rid;
  EXPECT_EQ(back.at(0).get<std::string>(), "héllo");
  EXPECT_EQ(back.at(2).get<std::uint64_t>(), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(back.at(5).get<std::vector<std::uint8_t>>(), (std::vector<std::uint8_t>{0, 1, 0xff}));
  auto link = back.at(7).get<Objlnk2>();
  EXPECT_EQ(link.get<0>(), 3);
  EXPECT_EQ(link.get<1>(), 65535);
}

TEST(ValueConversion, FloatEdgeValuesSurvive) {
  const ObjectDef def = test::typesDef();
  for (double d : {0.0, -0.0, 1e308, -1e-308, std::numeric_limits<double>::infinity()}) {
    auto out = valuesFromDbus(def, {{3, sdbus::Variant(d)}});
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(valueToDbus(out->front()).get<double>(), d);
  }
}

TEST(ValueConversion, WrongSignatureNamesResourceAndExpectedType) {
  const ObjectDef temp = test::temperatureDef();
  auto out = valuesFromDbus(temp, {{5700, sdbus::Variant(std::string("21.5"))}});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind, ErrorKind::InvalidType);
  EXPECT_EQ(out.error().code, CoapCode::BadRequest);
  EXPECT_EQ(out.error().message,
            "resource 5700 (Sensor Value) of object 3303 takes a Float ('d'), got 's'");
}

TEST(ValueConversion, StrictAboutNarrowerIntegerSignatures) {
  const ObjectDef def = test::typesDef();
  // 'i' is what busctl users type for numbers; the contract says 'x' and it is enforced.
  auto out = valuesFromDbus(def, {{1, sdbus::Variant(std::int32_t{5})}});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind, ErrorKind::InvalidType);
  EXPECT_EQ(out.error().message,
            "resource 1 (Signed) of object 33000 takes an Integer ('x'), got 'i'");
  EXPECT_FALSE(valuesFromDbus(def, {{2, sdbus::Variant(std::int64_t{5})}}).ok());    // t wanted
  EXPECT_FALSE(valuesFromDbus(def, {{6, sdbus::Variant(std::uint64_t{5})}}).ok());   // x wanted
  EXPECT_FALSE(valuesFromDbus(def, {{4, sdbus::Variant(std::int64_t{1})}}).ok());    // b wanted
  EXPECT_FALSE(valuesFromDbus(def, {{5, sdbus::Variant(std::string("ab"))}}).ok());  // ay wanted
  auto link =
      valuesFromDbus(def, {{7, sdbus::Variant(sdbus::Struct<std::uint32_t, std::uint32_t>(1, 2))}});
  ASSERT_FALSE(link.ok());
  EXPECT_NE(link.error().message.find("an Objlnk ('(qq)'), got '(uu)'"), std::string::npos)
      << link.error().message;
}

TEST(ValueConversion, UnknownResourceIsNotFound) {
  auto out = valuesFromDbus(test::temperatureDef(), {{9999, sdbus::Variant(1.0)}});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind, ErrorKind::NotFound);
  EXPECT_NE(out.error().message.find("3303"), std::string::npos);
  EXPECT_NE(out.error().message.find("9999"), std::string::npos);
}

TEST(ValueConversion, ExecutableResourceTakesNoValue) {
  auto out = valuesFromDbus(test::temperatureDef(), {{5605, sdbus::Variant(std::string())}});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind, ErrorKind::InvalidValue);
  EXPECT_NE(out.error().message.find("Reset Min and Max Measured Values"), std::string::npos);
}

TEST(ValueConversion, EmptyVariantIsInvalidType) {
  auto out = valuesFromDbus(test::temperatureDef(), {{5700, sdbus::Variant()}});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind, ErrorKind::InvalidType);
  EXPECT_NE(out.error().message.find("empty variant"), std::string::npos);
}

TEST(ValueConversion, MultipleResourceTakesMapOfInstances) {
  const ObjectDef def = test::typesDef();
  DbusValues numbers{{0, sdbus::Variant(std::int64_t{7})}, {4, sdbus::Variant(std::int64_t{-1})}};
  auto out =
      valuesFromDbus(def, {{9, sdbus::Variant(numbers)}, {10, sdbus::Variant(DbusValues{})}});
  ASSERT_TRUE(out.ok()) << out.error().message;
  const ResourceData* r = findResource(*out, 9);
  ASSERT_NE(r, nullptr);
  EXPECT_TRUE(r->multiple);
  EXPECT_FALSE(r->value.has_value());
  ASSERT_EQ(r->instances.size(), 2u);
  EXPECT_EQ(r->instances.at(4), Value(std::int64_t{-1}));
  const ResourceData* empty = findResource(*out, 10);
  ASSERT_NE(empty, nullptr);
  EXPECT_TRUE(empty->multiple);
  EXPECT_TRUE(empty->instances.empty());

  sdbus::Variant back = valueToDbus(*r);
  EXPECT_EQ(back.peekValueType(), "a{qv}");
  auto map = back.get<DbusValues>();
  ASSERT_EQ(map.size(), 2u);
  EXPECT_EQ(map.at(0).get<std::int64_t>(), 7);
  EXPECT_EQ(map.at(4).get<std::int64_t>(), -1);
}

TEST(ValueConversion, MultipleResourceRejectsPlainValueAndBadInstances) {
  const ObjectDef def = test::typesDef();
  auto plain = valuesFromDbus(def, {{9, sdbus::Variant(std::int64_t{1})}});
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(plain.error().kind, ErrorKind::InvalidType);
  EXPECT_NE(plain.error().message.find("multiple-instance"), std::string::npos);
  EXPECT_NE(plain.error().message.find("a{qv}"), std::string::npos);

  auto inner =
      valuesFromDbus(def, {{9, sdbus::Variant(DbusValues{{3, sdbus::Variant(std::string("x"))}})}});
  ASSERT_FALSE(inner.ok());
  EXPECT_EQ(inner.error().kind, ErrorKind::InvalidType);
  EXPECT_NE(inner.error().message.find("instance 3"), std::string::npos) << inner.error().message;
  EXPECT_NE(inner.error().message.find("Numbers"), std::string::npos);

  auto reserved = valuesFromDbus(
      def, {{9, sdbus::Variant(DbusValues{{65535, sdbus::Variant(std::int64_t{1})}})}});
  ASSERT_FALSE(reserved.ok());
  EXPECT_EQ(reserved.error().kind, ErrorKind::InvalidValue);

  // A single resource given a map is a type error as well.
  auto single = valuesFromDbus(def, {{1, sdbus::Variant(DbusValues{})}});
  ASSERT_FALSE(single.ok());
  EXPECT_EQ(single.error().kind, ErrorKind::InvalidType);
  EXPECT_NE(single.error().message.find("got 'a{qv}'"), std::string::npos);
}

TEST(ValueConversion, EmptyInputIsEmptyOutput) {
  auto out = valuesFromDbus(test::temperatureDef(), {});
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->empty());
  EXPECT_TRUE(valuesToDbus(InstanceData{}).empty());
}

}  // namespace
}  // namespace lwm2md

namespace lwm2md {
namespace {

// The same contract against the shipped definition of 3303, not only the hand-made one.
TEST(ValueConversion, ShippedTemperatureDefinition) {
  ObjectRegistry registry;
  auto status = registry.loadFile(std::string(LWM2MD_SOURCE_OBJECTS_DIR) + "/3303.xml");
  ASSERT_TRUE(status.ok()) << status.error().message;
  const ObjectDef* def = registry.find(3303);
  ASSERT_NE(def, nullptr);
  auto wrong = valuesFromDbus(*def, {{5700, sdbus::Variant(std::string("21.5"))}});
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().message,
            "resource 5700 (Sensor Value) of object 3303 takes a Float ('d'), got 's'");
  auto right = valuesFromDbus(*def, {{5700, sdbus::Variant(21.5)}});
  ASSERT_TRUE(right.ok()) << right.error().message;
  EXPECT_EQ(right->front().value, Value(21.5));
}

}  // namespace
}  // namespace lwm2md
