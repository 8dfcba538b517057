#include "observe/observation_store.hpp"

#include <gtest/gtest.h>

namespace lwm2md {
namespace {

const NotificationPlanner kPlanner({}, NotificationPlanner::TimePoint{}, std::nullopt);

DmRequest readOf(const Path& path) {
  DmRequest request;
  request.path = path;
  return request;
}

TEST(ObservationStore, SameServerAndTokenReplaces) {
  ObservationStore store;
  int serverA = 0;
  int serverB = 0;
  auto [first, none] = store.add(&serverA, {1, 2}, readOf(Path(3, 0, 13)), kPlanner);
  EXPECT_FALSE(none);
  first->sequence = 7;
  const auto firstId = first->id;
  // Another server may use the same token: a different observation.
  store.add(&serverB, {1, 2}, readOf(Path(3, 0, 13)), kPlanner);
  auto [second, replaced] = store.add(&serverA, {1, 2}, readOf(Path(3303)), kPlanner);
  ASSERT_TRUE(replaced);
  EXPECT_EQ(replaced->id, firstId);
  EXPECT_EQ(replaced->sequence, 7u);
  EXPECT_NE(second->id, firstId);
  EXPECT_EQ(store.size(), 2u);
  EXPECT_EQ(store.find(&serverA, {1, 2})->request.path, Path(3303));
  EXPECT_EQ(store.find(firstId), nullptr);
}

TEST(ObservationStore, FindsByMessageIdPerServerAndRemoves) {
  ObservationStore store;
  int serverA = 0;
  int serverB = 0;
  auto [a, unusedA] = store.add(&serverA, {9}, readOf(Path(3)), kPlanner);
  auto [b, unusedB] = store.add(&serverB, {9}, readOf(Path(3)), kPlanner);
  a->lastMid = 100;
  b->lastMid = 100;
  EXPECT_EQ(store.findByMid(&serverA, 100), a);
  EXPECT_EQ(store.findByMid(&serverB, 100), b);
  EXPECT_EQ(store.findByMid(&serverA, 101), nullptr);
  EXPECT_EQ(store.idsOf(&serverA), std::vector<std::uint64_t>{a->id});
  const auto id = a->id;
  EXPECT_TRUE(store.remove(id));
  EXPECT_FALSE(store.remove(id)) << "removing twice is harmless";
  EXPECT_EQ(store.countOf(&serverA), 0u);
  EXPECT_EQ(store.countOf(&serverB), 1u);
  EXPECT_EQ(store.find(&serverA, {}), nullptr) << "an empty token matches nothing here";
}

}  // namespace
}  // namespace lwm2md
