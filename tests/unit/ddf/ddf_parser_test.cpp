#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "ddf/object_registry.hpp"
#include "test_util.hpp"

namespace lwm2md {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::filesystem::path kFixtures = LWM2MD_DDF_FIXTURES_DIR;

std::vector<ObjectDef> parseFixture(const std::string& name) {
  auto defs = parseDdf(test::readText(kFixtures / name), name);
  EXPECT_TRUE(defs.ok()) << (defs.ok() ? "" : defs.error().message);
  return defs.ok() ? *defs : std::vector<ObjectDef>{};
}

TEST(DdfParser, NamespacedRegistryStyleDocument) {
  auto defs = parseFixture("namespaced.xml");
  ASSERT_EQ(defs.size(), 1u);
  const auto& def = defs[0];
  EXPECT_EQ(def.id, 33000);
  EXPECT_EQ(def.name, "Test Meter");
  EXPECT_EQ(def.urn, "urn:oma:lwm2m:x:33000:2.0");
  EXPECT_EQ(def.lwm2mVersion, "1.1");
  EXPECT_EQ(def.objectVersion, "2.0");
  EXPECT_TRUE(def.multiple);
  EXPECT_FALSE(def.mandatory);
  ASSERT_EQ(def.resources.size(), 3u);

  const auto* reading = def.resource(1);
  ASSERT_NE(reading, nullptr);
  EXPECT_EQ(reading->name, "Reading");
  EXPECT_TRUE(reading->operations.read);
  EXPECT_FALSE(reading->operations.write);
  EXPECT_FALSE(reading->operations.execute);
  EXPECT_EQ(reading->type, ResourceType::Float);
  EXPECT_TRUE(reading->mandatory);
  EXPECT_FALSE(reading->multiple);
  EXPECT_EQ(reading->rangeEnumeration, "-40..125");
  EXPECT_EQ(reading->units, "Cel");

  const auto* reset = def.resource(2);
  ASSERT_NE(reset, nullptr);
  EXPECT_TRUE(reset->operations.execute);
  EXPECT_EQ(reset->type, ResourceType::None);

  const auto* label = def.resource(3);
  ASSERT_NE(label, nullptr);
  EXPECT_TRUE(label->operations.write);
  EXPECT_FALSE(label->operations.read);
  EXPECT_TRUE(label->multiple);
}

TEST(DdfParser, PrefixedElementNames) {
  auto defs = parseFixture("prefixed.xml");
  ASSERT_EQ(defs.size(), 1u);
  EXPECT_EQ(defs[0].id, 33001);
  EXPECT_FALSE(defs[0].multiple);
  EXPECT_TRUE(defs[0].mandatory);
  const auto* on = defs[0].resource(0);
  ASSERT_NE(on, nullptr);
  EXPECT_EQ(on->type, ResourceType::Boolean);
  EXPECT_TRUE(on->operations.read && on->operations.write);
}

TEST(DdfParser, SeveralObjectsInOneDocument) {
  auto defs = parseFixture("multi_object.xml");
  ASSERT_EQ(defs.size(), 2u);
  EXPECT_EQ(defs[0].id, 33010);
  EXPECT_EQ(defs[0].name, "First");
  ASSERT_NE(defs[0].resource(0), nullptr);
  EXPECT_EQ(defs[0].resource(0)->type, ResourceType::UnsignedInteger);
  EXPECT_EQ(defs[1].id, 33011);
  EXPECT_EQ(defs[1].name, "Second");
  ASSERT_NE(defs[1].resource(7), nullptr);
  EXPECT_EQ(defs[1].resource(7)->type, ResourceType::Objlnk);
  EXPECT_TRUE(defs[1].resource(7)->multiple);
  // Items of one object must not leak into the other.
  EXPECT_EQ(defs[0].resource(7), nullptr);
  EXPECT_EQ(defs[1].resource(0), nullptr);
}

TEST(DdfParser, EmptyResources) {
  auto defs = parseFixture("empty_resources.xml");
  ASSERT_EQ(defs.size(), 1u);
  EXPECT_EQ(defs[0].id, 33020);
  EXPECT_TRUE(defs[0].resources.empty());
}

TEST(DdfParser, OldTypeSpellings) {
  auto defs = parseFixture("old_types.xml");
  ASSERT_EQ(defs.size(), 1u);
  const auto& def = defs[0];
  ASSERT_EQ(def.resources.size(), 8u);
  EXPECT_EQ(def.resource(0)->type, ResourceType::UnsignedInteger);
  EXPECT_EQ(def.resource(1)->type, ResourceType::Objlnk);
  EXPECT_EQ(def.resource(2)->type, ResourceType::Corelnk);
  EXPECT_EQ(def.resource(3)->type, ResourceType::String);
  EXPECT_EQ(def.resource(4)->type, ResourceType::Opaque);
  EXPECT_EQ(def.resource(5)->type, ResourceType::Time);
  EXPECT_EQ(def.resource(6)->type, ResourceType::Boolean);
  EXPECT_TRUE(def.resource(6)->operations.read);
  EXPECT_FALSE(def.resource(6)->mandatory);
  EXPECT_EQ(def.resource(7)->type, ResourceType::None);
  EXPECT_TRUE(def.resource(7)->operations.execute);
}

TEST(DdfParser, MissingOptionalElementsGetDefaults) {
  auto defs = parseFixture("missing_optional.xml");
  ASSERT_EQ(defs.size(), 1u);
  const auto& def = defs[0];
  EXPECT_EQ(def.id, 33040);
  EXPECT_EQ(def.urn, "");
  EXPECT_EQ(def.lwm2mVersion, "1.0");
  EXPECT_EQ(def.objectVersion, "1.0");
  ASSERT_NE(def.resource(0), nullptr);
  EXPECT_EQ(def.resource(0)->rangeEnumeration, "");
  EXPECT_EQ(def.resource(0)->units, "");
  ASSERT_NE(def.resource(1), nullptr);
  EXPECT_TRUE(def.resource(1)->operations.execute);
  EXPECT_EQ(def.resource(1)->type, ResourceType::None);
}

TEST(DdfParser, BareObjectRootAndHighestIds) {
  auto defs = parseDdf(
      "<Object><ObjectID>65534</ObjectID><MultipleInstances>Single</MultipleInstances>"
      "<Mandatory>Optional</Mandatory><Resources><Item ID=\"65534\"><Operations>R</Operations>"
      "<MultipleInstances>Single</MultipleInstances><Mandatory>Optional</Mandatory>"
      "<Type>Corelnk</Type></Item><Item ID=\"0\"><Operations></Operations>"
      "<MultipleInstances>Single</MultipleInstances><Mandatory>Optional</Mandatory>"
      "<Type>Opaque</Type></Item></Resources></Object>",
      "bare");
  ASSERT_TRUE(defs.ok()) << defs.error().message;
  ASSERT_EQ(defs->size(), 1u);
  EXPECT_EQ((*defs)[0].id, 65534);
  ASSERT_NE((*defs)[0].resource(65534), nullptr);
  EXPECT_EQ((*defs)[0].resource(65534)->type, ResourceType::Corelnk);
  // Empty operations (Security object style): no access at all, but typed.
  const auto* hidden = (*defs)[0].resource(0);
  ASSERT_NE(hidden, nullptr);
  EXPECT_FALSE(hidden->operations.read || hidden->operations.write || hidden->operations.execute);
}

TEST(DdfParser, ByteOrderMarkAndLeadingZeros) {
  auto defs = parseDdf("\xEF\xBB\xBF" + test::oneObject(9), "bom.xml");
  ASSERT_TRUE(defs.ok()) << defs.error().message;
  EXPECT_EQ((*defs)[0].id, 9);

  auto padded = parseDdf(test::oneObject(3).replace(test::oneObject(3).find(">3<"), 3, ">0003<"),
                         "zeros.xml");
  ASSERT_TRUE(padded.ok()) << padded.error().message;
  EXPECT_EQ((*padded)[0].id, 3);
}

TEST(DdfParser, OneObjectHelperIsValid) {
  // Guards the malformed table below: each case differs from a document that does parse.
  auto defs = parseDdf(test::oneObject(9), "bad.xml");
  ASSERT_TRUE(defs.ok()) << defs.error().message;
  EXPECT_EQ((*defs)[0].id, 9);
}

struct Malformed {
  const char* name;
  std::string xml;
  const char* fragment;
};

// Names the case in failure output instead of dumping its bytes.
[[maybe_unused]] void PrintTo(const Malformed& m, std::ostream* os) {
  *os << m.name;
}

// Wraps items into an otherwise valid object 9.
std::string withItems(const std::string& items) {
  return "<LWM2M><Object><ObjectID>9</ObjectID><MultipleInstances>Single</MultipleInstances>"
         "<Mandatory>Optional</Mandatory><Resources>" +
         items + "</Resources></Object></LWM2M>";
}

std::string item(const std::string& id, const std::string& ops, const std::string& type,
                 const std::string& multiple = "Single",
                 const std::string& mandatory = "Optional") {
  return "<Item " + id + "><Name>x</Name><Operations>" + ops + "</Operations><MultipleInstances>" +
         multiple + "</MultipleInstances><Mandatory>" + mandatory + "</Mandatory><Type>" + type +
         "</Type></Item>";
}

std::string objectWith(const std::string& header) {
  return "<LWM2M><Object>" + header + "<Resources/></Object></LWM2M>";
}

std::vector<Malformed> malformedCases() {
  const std::string okHeader =
      "<MultipleInstances>Single</MultipleInstances><Mandatory>Optional</Mandatory>";
  return {
      {"Unclosed", "<LWM2M>\n<Object>\n<ObjectID>1</ObjectID>\n", "bad.xml:3: not well-formed XML"},
      {"MismatchedTag", "<LWM2M>\n  <Object></Objekt>\n</LWM2M>", "bad.xml:2: not well-formed XML"},
      {"Empty", "", "not well-formed XML"},
      {"PlainText", "this is not xml", "not well-formed XML"},
      {"WrongRoot", "<Objects><Object/></Objects>", "root element is <Objects>, expected <LWM2M>"},
      {"NoObject", "<LWM2M>\n  <!-- nothing -->\n</LWM2M>", "no <Object> element"},
      {"MissingObjectId", objectWith(okHeader), "<ObjectID> is missing"},
      {"TextObjectId", objectWith("<ObjectID>abc</ObjectID>" + okHeader),
       "<ObjectID> 'abc' is not an id in 0..65534"},
      {"ReservedObjectId", objectWith("<ObjectID>65535</ObjectID>" + okHeader),
       "<ObjectID> '65535' is not an id"},
      {"NegativeObjectId", objectWith("<ObjectID>-1</ObjectID>" + okHeader),
       "<ObjectID> '-1' is not an id"},
      {"EmptyObjectId", objectWith("<ObjectID> </ObjectID>" + okHeader),
       "<ObjectID> '' is not an id"},
      {"ObjectIdWithJunk", objectWith("<ObjectID>3x</ObjectID>" + okHeader),
       "<ObjectID> '3x' is not an id"},
      {"MissingObjectMultiple", objectWith("<ObjectID>9</ObjectID><Mandatory>Optional</Mandatory>"),
       "object 9: <MultipleInstances> is missing"},
      {"BadObjectMultiple",
       objectWith("<ObjectID>9</ObjectID><MultipleInstances>Many</MultipleInstances>"
                  "<Mandatory>Optional</Mandatory>"),
       "object 9: <MultipleInstances> 'Many' must be Multiple or Single"},
      {"BadObjectMandatory",
       objectWith("<ObjectID>9</ObjectID><MultipleInstances>Single</MultipleInstances>"
                  "<Mandatory>Yes</Mandatory>"),
       "object 9: <Mandatory> 'Yes' must be Mandatory or Optional"},
      {"ItemWithoutId", withItems(item("", "R", "Integer")),
       "object 9: <Item> has no ID attribute"},
      {"ItemIdText", withItems(item("ID=\"x\"", "R", "Integer")),
       "object 9: Item ID 'x' is not an id in 0..65534"},
      {"ItemIdTooLarge", withItems(item("ID=\"70000\"", "R", "Integer")),
       "Item ID '70000' is not an id"},
      {"ItemIdReserved", withItems(item("ID=\"65535\"", "R", "Integer")),
       "Item ID '65535' is not an id"},
      {"DuplicateItemId",
       withItems(item("ID=\"1\"", "R", "Integer") + item("ID=\"2\"", "R", "Integer") +
                 item("ID=\"1\"", "W", "String")),
       "object 9 item 1: duplicate Item ID 1"},
      {"UnknownOperations", withItems(item("ID=\"4\"", "RX", "Integer")),
       "object 9 item 4: <Operations> 'RX' is not one of R, W, RW, E or empty"},
      {"ReadExecute", withItems(item("ID=\"4\"", "RE", "Integer")), "<Operations> 'RE'"},
      {"MissingOperations",
       withItems("<Item ID=\"4\"><MultipleInstances>Single</MultipleInstances><Mandatory>Optional"
                 "</Mandatory><Type>Integer</Type></Item>"),
       "object 9 item 4: <Operations> is missing"},
      {"UnknownType", withItems(item("ID=\"5\"", "R", "Double")),
       "object 9 item 5: <Type> 'Double' is not a LwM2M data type"},
      {"BadItemMultiple", withItems(item("ID=\"6\"", "R", "Integer", "Several")),
       "object 9 item 6: <MultipleInstances> 'Several' must be Multiple or Single"},
      {"BadItemMandatory", withItems(item("ID=\"6\"", "R", "Integer", "Single", "Required")),
       "object 9 item 6: <Mandatory> 'Required' must be Mandatory or Optional"},
      {"MissingItemMandatory",
       withItems("<Item ID=\"6\"><Operations>R</Operations><MultipleInstances>Single"
                 "</MultipleInstances><Type>Integer</Type></Item>"),
       "object 9 item 6: <Mandatory> is missing"},
      {"ExecutableWithType", withItems(item("ID=\"7\"", "E", "Integer")),
       "object 9 item 7: executable resource must have an empty <Type>, not 'Integer'"},
      {"ReadableWithoutType", withItems(item("ID=\"8\"", "R", "")),
       "object 9 item 8: resource with operations 'R' needs a <Type>"},
      {"WritableWithoutType", withItems(item("ID=\"8\"", "RW", "none")),
       "resource with operations 'RW' needs a <Type>"},
      {"TooLarge", std::string(kMaxDdfBytes + 1, ' '), "more than the 4194304 bytes allowed"},
  };
}

class DdfMalformed : public ::testing::TestWithParam<Malformed> {};

TEST_P(DdfMalformed, IsRejectedWithPreciseMessage) {
  const auto& c = GetParam();
  auto defs = parseDdf(c.xml, "bad.xml");
  ASSERT_FALSE(defs.ok()) << c.name << " parsed";
  EXPECT_EQ(defs.error().code, CoapCode::BadRequest);
  EXPECT_EQ(defs.error().kind, ErrorKind::InvalidValue);
  EXPECT_THAT(defs.error().message, StartsWith("bad.xml"));
  EXPECT_THAT(defs.error().message, HasSubstr(c.fragment));
}

INSTANTIATE_TEST_SUITE_P(Table, DdfMalformed, ::testing::ValuesIn(malformedCases()),
                         [](const auto& p) { return std::string(p.param.name); });

TEST(DdfParser, DuplicateObjectInOneDocument) {
  const std::string object =
      "<Object><ObjectID>5</ObjectID><MultipleInstances>Single</MultipleInstances>"
      "<Mandatory>Optional</Mandatory></Object>";
  auto defs = parseDdf("<LWM2M>" + object + "\n" + object + "</LWM2M>", "dup.xml");
  ASSERT_FALSE(defs.ok());
  EXPECT_THAT(defs.error().message, HasSubstr("dup.xml:2: object 5: "));
  EXPECT_THAT(defs.error().message, HasSubstr("object 5 is defined twice in this document"));
}

TEST(DdfParser, SemanticErrorsCarryTheLine) {
  auto defs = parseDdf(
      "<LWM2M>\n<Object>\n<ObjectID>9</ObjectID>\n<MultipleInstances>Single</MultipleInstances>\n"
      "<Mandatory>Optional</Mandatory>\n<Resources>\n<Item ID=\"3\">\n<Operations>R</Operations>\n"
      "<MultipleInstances>Single</MultipleInstances>\n<Mandatory>Optional</Mandatory>\n"
      "<Type>Decimal</Type>\n</Item>\n</Resources>\n</Object>\n</LWM2M>\n",
      "lines.xml");
  ASSERT_FALSE(defs.ok());
  EXPECT_THAT(defs.error().message, HasSubstr("lines.xml:11: object 9 item 3: <Type> 'Decimal'"));
}

TEST(DdfParser, LimitIsInclusive) {
  // Exactly at the cap is parsed (and fails only because it is not XML).
  auto defs = parseDdf(std::string(kMaxDdfBytes, ' '), "big.xml");
  ASSERT_FALSE(defs.ok());
  EXPECT_THAT(defs.error().message, HasSubstr("not well-formed XML"));
}

}  // namespace
}  // namespace lwm2md
