// The object tree's storage: what goes in comes out unchanged, in id order, whatever order it
// was given in; merges, replacements and removals; failed changes change nothing.
#include <gtest/gtest.h>

#include "tree_fixture.hpp"

namespace lwm2md {
namespace {

using test::multiple;
using test::single;

class ObjectTreeTest : public ::testing::Test {
 protected:
  ObjectTreeTest() { registry_.add(test::benchObjectDef()); }

  Instance& add(std::uint16_t iid, const std::vector<ResourceData>& values) {
    auto added = tree_.addInstance(33000, iid, values, ":1.7");
    EXPECT_TRUE(added) << (added ? "" : added.error().message);
    return **added;
  }

  ObjectRegistry registry_;
  ObjectTree tree_{registry_};
};

TEST_F(ObjectTreeTest, ValuesComeBackInIdOrderWhateverTheOrderGiven) {
  Instance& instance =
      add(4, {single(7, 7.5), multiple(10, {{3, Value(std::string("c"))}}), single(0, -1.25)});
  EXPECT_EQ(instance.resourceIds(), (std::vector<std::uint16_t>{0, 7, 10}));
  const InstanceData data = instance.snapshot();
  ASSERT_EQ(data.resources.size(), 3u);
  EXPECT_EQ(data.id, 4);
  EXPECT_EQ(data.resources[0], single(0, -1.25));
  EXPECT_EQ(data.resources[1], single(7, 7.5));
  EXPECT_EQ(data.resources[2], multiple(10, {{3, Value(std::string("c"))}}));
  EXPECT_EQ(instance.owner(), ":1.7");
}

TEST_F(ObjectTreeTest, AnEmptyMultipleResourceIsPresentAndEmpty) {
  Instance& instance = add(0, {multiple(10, {})});
  auto data = instance.resource(10);
  ASSERT_TRUE(data);
  EXPECT_TRUE(data->multiple);
  EXPECT_FALSE(data->value);
  EXPECT_TRUE(data->instances.empty());
  EXPECT_FALSE(instance.resource(0));   // never given
  EXPECT_FALSE(instance.resource(99));  // not defined at all
}

TEST_F(ObjectTreeTest, SetInsertsNewResourcesInOrderAndOverwritesOld) {
  add(0, {single(5, 5)});
  ASSERT_TRUE(tree_.setValues(33000, 0, {single(9, 9), single(1, 1), single(5, 55)},
                              ChangeOrigin::Provider));
  const Instance* instance = tree_.find(33000, 0);
  ASSERT_TRUE(instance);
  EXPECT_EQ(instance->resourceIds(), (std::vector<std::uint16_t>{1, 5, 9}));
  EXPECT_EQ(instance->resource(5), single(5, 55));
}

TEST_F(ObjectTreeTest, PartialUpdateMergesResourceInstancesReplaceDoesNot) {
  add(0, {multiple(10, {{1, Value(std::string("a"))}, {2, Value(std::string("b"))}})});
  ASSERT_TRUE(tree_.setValues(33000, 0, {multiple(10, {{2, Value(std::string("B"))}})},
                              ChangeOrigin::Server, /*replaceMultiple=*/false));
  EXPECT_EQ(tree_.find(33000, 0)->resource(10),
            multiple(10, {{1, Value(std::string("a"))}, {2, Value(std::string("B"))}}));
  ASSERT_TRUE(tree_.setValues(33000, 0, {multiple(10, {{7, Value(std::string("z"))}})},
                              ChangeOrigin::Server, /*replaceMultiple=*/true));
  EXPECT_EQ(tree_.find(33000, 0)->resource(10), multiple(10, {{7, Value(std::string("z"))}}));
}

TEST_F(ObjectTreeTest, MergeIntoAResourceNotYetPresentCreatesIt) {
  add(0, {single(0, 0)});
  ASSERT_TRUE(tree_.setValues(33000, 0, {multiple(10, {{4, Value(std::string("d"))}})},
                              ChangeOrigin::Server, /*replaceMultiple=*/false));
  EXPECT_EQ(tree_.find(33000, 0)->resource(10), multiple(10, {{4, Value(std::string("d"))}}));
}

TEST_F(ObjectTreeTest, RemoveDropsResourcesAndReportsOnlyThoseThatWereThere) {
  struct Recorder : TreeListener {
    void valuesChanged(const Instance&, const std::vector<std::uint16_t>& rids,
                       ChangeOrigin) override {
      seen = rids;
    }
    std::vector<std::uint16_t> seen;
  } recorder;
  add(0, {single(0, 0), single(3, 3), single(6, 6)});
  tree_.addListener(&recorder);
  ASSERT_TRUE(tree_.setValues(33000, 0, {single(8, 8)}, ChangeOrigin::Server, true, {3, 4}));
  tree_.removeListener(&recorder);
  EXPECT_EQ(recorder.seen, (std::vector<std::uint16_t>{3, 8}));
  EXPECT_EQ(tree_.find(33000, 0)->resourceIds(), (std::vector<std::uint16_t>{0, 6, 8}));
}

TEST_F(ObjectTreeTest, FailedChangesChangeNothing) {
  add(0, {single(0, 1), single(1, 2)});
  const InstanceData before = tree_.find(33000, 0)->snapshot();
  // Wrong type, an executable, an undefined resource, the same id twice, written+removed.
  ResourceData wrongType = single(2, 0);
  wrongType.value = Value(std::string("text"));
  EXPECT_FALSE(tree_.setValues(33000, 0, {single(0, 9), wrongType}, ChangeOrigin::Server));
  EXPECT_FALSE(tree_.setValues(33000, 0, {single(11, 1)}, ChangeOrigin::Server));
  EXPECT_FALSE(tree_.setValues(33000, 0, {single(0, 9), single(99, 1)}, ChangeOrigin::Server));
  EXPECT_FALSE(tree_.setValues(33000, 0, {single(0, 9), single(0, 8)}, ChangeOrigin::Server));
  EXPECT_FALSE(tree_.setValues(33000, 0, {single(0, 9)}, ChangeOrigin::Server, true, {0}));
  EXPECT_EQ(tree_.find(33000, 0)->snapshot(), before);
  // A failed add leaves no instance (and no empty object) behind.
  EXPECT_FALSE(tree_.addInstance(33000, 1, {single(0, 1), single(0, 2)}, ""));
  EXPECT_FALSE(tree_.find(33000, 1));
  EXPECT_FALSE(tree_.addInstance(33000, 0, {}, ""));  // taken id
}

TEST_F(ObjectTreeTest, DynamicReaderOverridesSingleValuesOnRead) {
  Instance& instance = add(0, {single(0, 1), single(1, 2)});
  instance.setDynamicReader([](std::uint16_t rid) -> std::optional<Value> {
    if (rid == 1) return Value(42.0);
    return std::nullopt;
  });
  EXPECT_EQ(instance.resource(0), single(0, 1));
  EXPECT_EQ(instance.resource(1), single(1, 42));
  EXPECT_EQ(instance.snapshot().resources[1], single(1, 42));
}

}  // namespace
}  // namespace lwm2md
