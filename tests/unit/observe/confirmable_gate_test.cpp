// ConfirmableGate: one CON notification in flight per server, the rest wait in line and are
// handed out once each, oldest first (RFC 7641 §4.5.2).
#include "observe/confirmable_gate.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace lwm2md {
namespace {

const int serverA = 0;
const int serverB = 1;
const void* const kA = &serverA;
const void* const kB = &serverB;

std::vector<std::uint64_t> drainAll(ConfirmableGate& gate, const void* server) {
  std::vector<std::uint64_t> out;
  for (int i = 0; i < 100; ++i) {
    auto id = gate.next(server);
    if (!id) break;
    out.push_back(*id);
  }
  return out;
}

TEST(ConfirmableGate, FreeUntilOccupiedAndFreedOnlyByItsOwnMessageId) {
  ConfirmableGate gate;
  EXPECT_FALSE(gate.busy(kA));
  gate.occupy(kA, 7);
  EXPECT_TRUE(gate.busy(kA));
  EXPECT_FALSE(gate.busy(kB)) << "servers have a slot each";
  EXPECT_FALSE(gate.release(kA, 8)) << "another message's ACK does not free it";
  EXPECT_FALSE(gate.release(kB, 7)) << "nor the same id on another server";
  EXPECT_TRUE(gate.busy(kA));
  EXPECT_TRUE(gate.release(kA, 7));
  EXPECT_FALSE(gate.busy(kA));
  EXPECT_FALSE(gate.release(kA, 7)) << "a duplicate ACK frees nothing more";
}

TEST(ConfirmableGate, NstartSlotsPerServer) {
  ConfirmableGate gate;
  gate.setLimit(3);
  gate.occupy(kA, 1);
  gate.occupy(kA, 2);
  EXPECT_FALSE(gate.busy(kA)) << "two of three slots taken";
  gate.occupy(kA, 3);
  EXPECT_TRUE(gate.busy(kA));
  EXPECT_FALSE(gate.busy(kB));
  EXPECT_FALSE(gate.release(kA, 4));
  EXPECT_TRUE(gate.release(kA, 2)) << "any of the three frees its slot, in any order";
  EXPECT_FALSE(gate.busy(kA));
  EXPECT_FALSE(gate.release(kA, 2));
  gate.setLimit(0);  // taken as 1: never a gate that lets nothing through
  EXPECT_TRUE(gate.busy(kA)) << "back to one slot: two in flight keep it busy";
  EXPECT_TRUE(gate.release(kA, 1));
  EXPECT_TRUE(gate.release(kA, 3));
  EXPECT_FALSE(gate.busy(kA));
}

TEST(ConfirmableGate, WaitingIsOncePerObservationInArrivalOrder) {
  ConfirmableGate gate;
  gate.occupy(kA, 1);
  // A hot observation marked due a hundred times still waits once, in its first place.
  for (int i = 0; i < 100; ++i) gate.wait(kA, 5);
  gate.wait(kA, 3);
  gate.wait(kA, 5);
  gate.wait(kA, 9);
  gate.wait(kB, 4);
  EXPECT_TRUE(gate.waiting(5));
  EXPECT_EQ(gate.waitingCount(kA), 3u);
  EXPECT_EQ(drainAll(gate, kA), (std::vector<std::uint64_t>{5, 3, 9}));
  EXPECT_FALSE(gate.waiting(5)) << "handed out: no longer waiting";
  EXPECT_EQ(drainAll(gate, kB), (std::vector<std::uint64_t>{4}));
  EXPECT_FALSE(gate.next(kA));
}

TEST(ConfirmableGate, RoundRobinPutsAReturningObservationAtTheBack) {
  ConfirmableGate gate;
  gate.wait(kA, 1);
  gate.wait(kA, 2);
  ASSERT_EQ(gate.next(kA), std::optional<std::uint64_t>(1));
  gate.wait(kA, 1);  // due again right after its turn
  gate.wait(kA, 3);
  EXPECT_EQ(drainAll(gate, kA), (std::vector<std::uint64_t>{2, 1, 3}));
}

TEST(ConfirmableGate, ForgottenObservationsAreSkipped) {
  ConfirmableGate gate;
  gate.wait(kA, 1);
  gate.wait(kA, 2);
  gate.wait(kA, 3);
  gate.forget(2);
  gate.forget(42);  // unknown: harmless
  EXPECT_FALSE(gate.waiting(2));
  EXPECT_EQ(gate.waitingCount(kA), 2u);
  EXPECT_EQ(drainAll(gate, kA), (std::vector<std::uint64_t>{1, 3}));
}

TEST(ConfirmableGate, ForgettingTheSenderKeepsTheSlotUntilItsAck) {
  ConfirmableGate gate;
  gate.occupy(kA, 11);
  gate.forget(1);  // the observation whose CON is in flight ended
  EXPECT_TRUE(gate.busy(kA)) << "libcoap still waits for that ACK";
  EXPECT_TRUE(gate.release(kA, 11));
}

TEST(ConfirmableGate, DroppingAServerClearsItsSlotAndLineOnly) {
  ConfirmableGate gate;
  gate.occupy(kA, 1);
  gate.occupy(kB, 2);
  gate.wait(kA, 10);
  gate.wait(kB, 20);
  gate.dropServer(kA);
  EXPECT_FALSE(gate.busy(kA));
  EXPECT_FALSE(gate.waiting(10));
  EXPECT_FALSE(gate.next(kA));
  EXPECT_FALSE(gate.release(kA, 1)) << "a late ACK of the dropped session frees nothing";
  EXPECT_TRUE(gate.busy(kB));
  EXPECT_TRUE(gate.waiting(20));
  // Waiting again after the drop starts a fresh line.
  gate.wait(kA, 10);
  EXPECT_EQ(drainAll(gate, kA), (std::vector<std::uint64_t>{10}));
}

TEST(ConfirmableGate, EmptyAndUnknownServers) {
  ConfirmableGate gate;
  EXPECT_FALSE(gate.next(nullptr));
  EXPECT_FALSE(gate.release(nullptr, 0));
  EXPECT_EQ(gate.waitingCount(kA), 0u);
  gate.dropServer(kA);  // nothing to drop
  gate.occupy(kA, 0xFFFF);
  EXPECT_FALSE(gate.release(kA, 0)) << "message ids are compared whole";
  EXPECT_TRUE(gate.release(kA, 0xFFFF));
}

}  // namespace
}  // namespace lwm2md
