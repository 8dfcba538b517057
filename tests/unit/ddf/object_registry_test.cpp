#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ddf/object_registry.hpp"
#include "test_util.hpp"

namespace lwm2md {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::filesystem::path kFixtures = LWM2MD_DDF_FIXTURES_DIR;

ObjectDef named(std::uint16_t id, std::string name) {
  ObjectDef def;
  def.id = id;
  def.name = std::move(name);
  return def;
}

TEST(ObjectRegistry, FindAndReplace) {
  ObjectRegistry registry;
  EXPECT_EQ(registry.find(3), nullptr);
  registry.add(named(3, "first"));
  registry.add(named(4, "other"));
  ASSERT_NE(registry.find(3), nullptr);
  EXPECT_EQ(registry.find(3)->name, "first");
  registry.add(named(3, "second"));
  EXPECT_EQ(registry.find(3)->name, "second");
  EXPECT_EQ(registry.all().size(), 2u);
  EXPECT_EQ(registry.find(5), nullptr);
}

TEST(ObjectRegistry, LoadFileAddsEveryObject) {
  ObjectRegistry registry;
  auto status = registry.loadFile(kFixtures / "multi_object.xml");
  ASSERT_TRUE(status.ok()) << status.error().message;
  EXPECT_NE(registry.find(33010), nullptr);
  EXPECT_NE(registry.find(33011), nullptr);
}

TEST(ObjectRegistry, LoadFileIsAllOrNothing) {
  test::TempDir dir;
  // The first object is fine; the second is broken, so neither may be added.
  const std::string good =
      "<Object><ObjectID>40</ObjectID><MultipleInstances>Single</MultipleInstances>"
      "<Mandatory>Optional</Mandatory></Object>";
  const std::string bad =
      "<Object><ObjectID>41</ObjectID><MultipleInstances>Twice</MultipleInstances>"
      "<Mandatory>Optional</Mandatory></Object>";
  test::writeText(dir.path() / "half.xml", "<LWM2M>" + good + bad + "</LWM2M>");
  ObjectRegistry registry;
  auto status = registry.loadFile(dir.path() / "half.xml");
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.error().message, HasSubstr("half.xml"));
  EXPECT_THAT(status.error().message, HasSubstr("object 41: <MultipleInstances> 'Twice'"));
  EXPECT_EQ(status.error().kind, ErrorKind::InvalidValue);
  EXPECT_TRUE(registry.all().empty());
}

TEST(ObjectRegistry, LoadFileErrors) {
  test::TempDir dir;
  ObjectRegistry registry;
  auto missing = registry.loadFile(dir.path() / "absent.xml");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.error().message, HasSubstr("absent.xml: cannot open file"));

  auto directory = registry.loadFile(dir.path());
  ASSERT_FALSE(directory.ok());
  EXPECT_THAT(directory.error().message, HasSubstr("is a directory"));

  // Oversized: a valid document padded with trailing whitespace past the cap.
  std::string big = test::oneObject(42);
  big.append(kMaxDdfBytes, '\n');
  test::writeText(dir.path() / "big.xml", big);
  auto tooBig = registry.loadFile(dir.path() / "big.xml");
  ASSERT_FALSE(tooBig.ok());
  EXPECT_THAT(tooBig.error().message, HasSubstr("big.xml: document is"));
  EXPECT_THAT(tooBig.error().message, HasSubstr("more than the 4194304 bytes allowed"));
  EXPECT_EQ(registry.find(42), nullptr);
}

TEST(ObjectRegistry, MissingDirectoryIsNotAnError) {
  test::TempDir dir;
  ObjectRegistry registry;
  std::vector<std::string> errors;
  EXPECT_EQ(registry.loadDirectory(dir.path() / "nope", errors), 0u);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(registry.loadDirectory(dir.path(), errors), 0u);  // empty directory
  EXPECT_TRUE(errors.empty());
}

TEST(ObjectRegistry, FileInsteadOfDirectoryIsReported) {
  test::TempDir dir;
  test::writeText(dir.path() / "file.xml", test::oneObject(50));
  ObjectRegistry registry;
  std::vector<std::string> errors;
  EXPECT_EQ(registry.loadDirectory(dir.path() / "file.xml", errors), 0u);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr("not a directory"));
}

TEST(ObjectRegistry, LoadDirectorySkipsBadFileAndLoadsTheRest) {
  test::TempDir dir;
  test::writeText(dir.path() / "a.xml", test::oneObject(10));
  test::writeText(dir.path() / "b.xml", "<LWM2M><Object><ObjectID>11</ObjectID>");  // broken
  test::writeText(dir.path() / "c.xml", test::oneObject(12));
  test::writeText(dir.path() / "notes.txt", "not a definition");            // not *.xml: ignored
  test::writeText(dir.path() / "d.xml.bak", "<garbage");                    // not *.xml: ignored
  std::filesystem::create_directory(dir.path() / "sub.xml");                // a directory: ignored
  test::writeText(dir.path() / "sub.xml" / "13.xml", test::oneObject(13));  // not recursed

  ObjectRegistry registry;
  std::vector<std::string> errors;
  EXPECT_EQ(registry.loadDirectory(dir.path(), errors), 2u);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr("b.xml"));
  EXPECT_THAT(errors[0], HasSubstr("not well-formed XML"));
  EXPECT_NE(registry.find(10), nullptr);
  EXPECT_EQ(registry.find(11), nullptr);
  EXPECT_NE(registry.find(12), nullptr);
  EXPECT_EQ(registry.find(13), nullptr);
}

TEST(ObjectRegistry, LaterDefinitionsReplaceEarlierOnes) {
  test::TempDir shipped;
  test::TempDir local;
  test::writeText(shipped.path() / "60.xml", test::oneObject(60, "Shipped"));
  test::writeText(shipped.path() / "61.xml", test::oneObject(61, "Untouched"));
  // Within one directory, name order decides: 20-b.xml comes after 10-a.xml.
  test::writeText(local.path() / "20-b.xml", test::oneObject(60, "Local B"));
  test::writeText(local.path() / "10-a.xml", test::oneObject(60, "Local A"));

  ObjectRegistry registry;
  std::vector<std::string> errors;
  EXPECT_EQ(registry.loadDirectory(shipped.path(), errors), 2u);
  EXPECT_EQ(registry.find(60)->name, "Shipped");
  EXPECT_EQ(registry.loadDirectory(local.path(), errors), 2u);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(registry.find(60)->name, "Local B");
  EXPECT_EQ(registry.find(61)->name, "Untouched");

  std::vector<std::uint16_t> ids;
  for (const auto& [id, def] : registry.all()) ids.push_back(id);
  EXPECT_THAT(ids, ElementsAre(60, 61));
}

TEST(ObjectRegistry, BadOverrideKeepsEarlierDefinition) {
  test::TempDir dir;
  test::writeText(dir.path() / "3.xml", "<LWM2M><Object><ObjectID>3</ObjectID></Object></LWM2M>");
  ObjectRegistry registry;
  registry.add(named(3, "Device"));
  std::vector<std::string> errors;
  EXPECT_EQ(registry.loadDirectory(dir.path(), errors), 0u);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr("object 3: <MultipleInstances> is missing"));
  EXPECT_EQ(registry.find(3)->name, "Device");
}

}  // namespace
}  // namespace lwm2md
