#include "observe/attributes.hpp"

#include <gtest/gtest.h>

namespace lwm2md {
namespace {

TEST(AttributeStore, InheritsResourceThenInstanceThenObjectThenDefaults) {
  AttributeStore store;
  NotificationAttributes object;
  object.pmin = 10;
  object.gt = 5.0;
  store.set(1, Path(3303), object);
  NotificationAttributes instance;
  instance.pmin = 20;
  store.set(1, Path(3303, 0), instance);
  NotificationAttributes resource;
  resource.st = 0.5;
  store.set(1, Path(3303, 0, 5700), resource);
  NotificationAttributes defaults;
  defaults.pmin = 1;
  defaults.pmax = 60;

  auto effective = store.effective(1, Path(3303, 0, 5700), defaults);
  EXPECT_EQ(effective.pmin, 20u);  // instance beats object and default
  EXPECT_EQ(effective.pmax, 60u);  // only the Server object's default says
  EXPECT_EQ(effective.gt, 5.0);    // from the object
  EXPECT_EQ(effective.st, 0.5);    // from the resource
  // Another server sees none of server 1's attributes.
  auto other = store.effective(2, Path(3303, 0, 5700), defaults);
  EXPECT_EQ(other.pmin, 1u);
  EXPECT_FALSE(other.gt);
}

TEST(AttributeStore, RemovesBelowAPathAndPerServer) {
  AttributeStore store;
  NotificationAttributes a;
  a.pmax = 5;
  store.set(1, Path(3303, 0, 5700), a);
  store.set(1, Path(3303, 1), a);
  store.set(2, Path(3303, 0), a);
  store.removeBelow(Path(3303, 0));
  EXPECT_FALSE(store.at(1, Path(3303, 0, 5700)).pmax);
  EXPECT_FALSE(store.at(2, Path(3303, 0)).pmax);
  EXPECT_EQ(store.at(1, Path(3303, 1)).pmax, 5u);
  store.removeServer(1);
  EXPECT_TRUE(store.all().empty());
  store.set(1, Path(3), a);
  store.set(1, Path(3), NotificationAttributes{});
  EXPECT_TRUE(store.all().empty());
}

TEST(AttributeStore, TellsEveryListenerOfEveryChange) {
  AttributeStore store;
  int heard = 0;
  int second = 0;
  store.addChangeListener(&heard, [&] { ++heard; });
  store.addChangeListener(&second, [&] { ++second; });
  NotificationAttributes a;
  a.pmin = 1;
  store.set(1, Path(3, 0), a);
  store.set(1, Path(3, 0), {});
  store.removeBelow(Path(3));
  store.removeServer(1);
  EXPECT_EQ(heard, 4);
  EXPECT_EQ(second, 4);
  store.removeChangeListener(&heard);
  store.set(1, Path(3, 0), a);
  EXPECT_EQ(heard, 4);
  EXPECT_EQ(second, 5);
}

}  // namespace
}  // namespace lwm2md
