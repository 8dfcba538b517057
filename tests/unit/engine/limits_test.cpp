// The pieces of [limits] enforcement that need no network: when a hit limit is logged, how far
// one datagram says a request body reaches, and the count of requests waiting for providers.
#include <gtest/gtest.h>

#include <functional>
#include <vector>

#include "app/pending_slots.hpp"
#include "coap/request_decoding.hpp"
#include "model/limit_warning.hpp"

namespace lwm2md {
namespace {

using namespace std::chrono_literals;

TEST(LimitWarning, FirstHitLogsThenOneLinePerIntervalWithTheSuppressedCount) {
  LimitWarning warning(10s);
  const LimitWarning::Clock::time_point t0{};
  auto first = warning.hit(t0 + 1s);
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, 0u);
  // A flood within the interval: counted, not logged.
  for (int i = 0; i < 100000; ++i) EXPECT_FALSE(warning.hit(t0 + 2s));
  EXPECT_FALSE(warning.hit(t0 + 10999ms));
  auto next = warning.hit(t0 + 11s);
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, 100001u);
  EXPECT_FALSE(warning.hit(t0 + 12s));
  auto quiet = warning.hit(t0 + 60s);
  ASSERT_TRUE(quiet);
  EXPECT_EQ(*quiet, 1u);
  EXPECT_EQ(*warning.hit(t0 + 200s), 0u);
}

TEST(LimitWarning, SuppressedNoteOnlyWhenSomethingWasSuppressed) {
  EXPECT_EQ(LimitWarning::suppressedNote(0), "");
  EXPECT_EQ(LimitWarning::suppressedNote(42), " (42 more since the last report)");
}

/// Parses a datagram with libcoap as the endpoint does.
class Datagram {
 public:
  explicit Datagram(std::vector<std::uint8_t> bytes)
      : pdu_(coap_pdu_init(COAP_MESSAGE_CON, COAP_EMPTY_CODE, 0, bytes.size())) {
    parsed_ = pdu_ && coap_pdu_parse(COAP_PROTO_UDP, bytes.data(), bytes.size(), pdu_);
  }
  ~Datagram() { coap_delete_pdu(pdu_); }
  Datagram(const Datagram&) = delete;
  Datagram& operator=(const Datagram&) = delete;
  bool parsed() const { return parsed_; }
  const coap_pdu_t* pdu() const { return pdu_; }

 private:
  coap_pdu_t* pdu_;
  bool parsed_ = false;
};

/// A CON PUT (token 0x01) with the given options (already encoded, in order) and payload.
std::vector<std::uint8_t> put(std::vector<std::uint8_t> options, std::size_t payload) {
  // Built byte by byte: GCC 12 misreads a range insert into a short vector (-Warray-bounds).
  std::vector<std::uint8_t> bytes{0x41, 0x03, 0x12, 0x34, 0x01};
  for (std::uint8_t byte : options) bytes.push_back(byte);
  if (payload > 0) bytes.push_back(0xff);
  for (std::size_t i = 0; i < payload; ++i) bytes.push_back('x');
  return bytes;
}

TEST(AnnouncedBodySize, PayloadBlockNumberAndSize1) {
  // No options: the payload alone.
  Datagram plain(put({}, 300));
  ASSERT_TRUE(plain.parsed());
  EXPECT_EQ(announcedBodySize(plain.pdu()), 300u);
  // Block1 (27 = delta 13 + 14) NUM 3, M, SZX 5 (512): the block ends at 3 * 512 + 100.
  Datagram block(put({0xd1, 14, (3 << 4) | 8 | 5}, 100));
  ASSERT_TRUE(block.parsed());
  EXPECT_EQ(announcedBodySize(block.pdu()), 3u * 512 + 100);
  // Size1 (60 = delta 13 + 47) of 4 GiB - 1 on a first block: the announcement counts.
  Datagram size1(put({0xd1, 14, 8 | 6, 0xd4, 60 - 27 - 13, 0xff, 0xff, 0xff, 0xff}, 10));
  ASSERT_TRUE(size1.parsed());
  EXPECT_EQ(announcedBodySize(size1.pdu()), 0xffffffffu);
  // The largest block number (2^20 - 1) with 1024-byte blocks: about 1 GiB, no overflow.
  Datagram far(put({0xd3, 14, 0xff, 0xff, 0xf6}, 1));
  ASSERT_TRUE(far.parsed());
  EXPECT_EQ(announcedBodySize(far.pdu()), ((std::size_t{1} << 20) - 1) * 1024 + 1);
  // No payload, no options.
  Datagram empty(put({}, 0));
  ASSERT_TRUE(empty.parsed());
  EXPECT_EQ(announcedBodySize(empty.pdu()), 0u);
}

TEST(PendingSlots, RefusesBeyondTheLimitAndFreesOnReleaseOrDrop) {
  PendingSlots slots(2);
  auto a = slots.acquire();
  auto b = slots.acquire();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(slots.count(), 2u);
  EXPECT_FALSE(slots.acquire()) << "a third is refused";
  // Released on answer (twice is once).
  a->release();
  a->release();
  EXPECT_EQ(slots.count(), 1u);
  auto c = slots.acquire();
  ASSERT_TRUE(c);
  EXPECT_FALSE(slots.acquire());
  // A completion dropped unanswered frees its slot too: the last copy holds it.
  std::function<void()> completion = [c] {};
  std::function<void()> copy = completion;
  c.reset();
  completion = nullptr;
  EXPECT_EQ(slots.count(), 2u);
  copy = nullptr;
  EXPECT_EQ(slots.count(), 1u);
  a.reset();
  EXPECT_EQ(slots.count(), 1u) << "a released slot is not counted twice when it goes";
}

TEST(PendingSlots, LimitChangesApplyAtOnceAndZeroMeansNone) {
  PendingSlots slots(3);
  auto a = slots.acquire();
  auto b = slots.acquire();
  slots.setLimit(1);
  EXPECT_EQ(slots.count(), 2u) << "nothing held is dropped";
  EXPECT_FALSE(slots.acquire());
  a.reset();
  EXPECT_FALSE(slots.acquire());
  b.reset();
  auto c = slots.acquire();
  EXPECT_TRUE(c);
  slots.setLimit(0);
  std::vector<std::shared_ptr<PendingSlots::Slot>> many;
  for (int i = 0; i < 1000; ++i) many.push_back(slots.acquire());
  EXPECT_TRUE(many.back());
  EXPECT_EQ(slots.count(), 1001u);
}

TEST(PendingSlots, SlotsOutliveTheCounter) {
  std::shared_ptr<PendingSlots::Slot> kept;
  {
    PendingSlots slots(1);
    kept = slots.acquire();
  }
  kept.reset();  // must not touch freed memory (the count is shared)
  SUCCEED();
}

}  // namespace
}  // namespace lwm2md
