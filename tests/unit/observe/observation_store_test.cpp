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

TEST(ObservationStore, IdsWatchingAnInstanceFollowAddsReplacementsPathsAndRemovals) {
  ObservationStore store;
  int server = 0;
  const auto resource = store.add(&server, {1}, readOf(Path(3303, 0, 5700)), kPlanner).first->id;
  const auto instance = store.add(&server, {2}, readOf(Path(3303, 0)), kPlanner).first->id;
  const auto other = store.add(&server, {3}, readOf(Path(3303, 1, 5700)), kPlanner).first->id;
  const auto object = store.add(&server, {4}, readOf(Path(3303)), kPlanner).first->id;
  const auto root = store.add(&server, {5}, readOf(Path()), kPlanner).first->id;
  store.add(&server, {6}, readOf(Path(3, 0, 13)), kPlanner);
  using Ids = std::vector<std::uint64_t>;
  EXPECT_EQ(store.idsWatching(3303, 0), (Ids{resource, instance, object, root}));
  EXPECT_EQ(store.idsWatching(3303, 1), (Ids{other, object, root}));
  EXPECT_EQ(store.idsWatching(1, 0), (Ids{root}));
  // A composite lists /3303/1 and /3303 (twice over for /3303/1's change): once each.
  Observation* composite = store.add(&server, {7}, readOf(Path()), kPlanner).first;
  store.setPaths(*composite, {Path(3303, 1, 5700), Path(3303), Path(1, 0, 1)});
  const auto compositeId = composite->id;
  EXPECT_EQ(store.idsWatching(3303, 1), (Ids{other, object, root, compositeId}));
  EXPECT_EQ(store.idsWatching(1, 0), (Ids{root, compositeId}));
  // Replaced (same token) and removed observations are no longer listed.
  const auto replacement = store.add(&server, {1}, readOf(Path(3303, 2)), kPlanner).first->id;
  store.remove(object);
  store.remove(compositeId);
  EXPECT_EQ(store.idsWatching(3303, 0), (Ids{instance, root}));
  EXPECT_EQ(store.idsWatching(3303, 2), (Ids{root, replacement}));
  EXPECT_EQ(store.idsWatching(1, 0), (Ids{root}));
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
