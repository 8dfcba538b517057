// AnsweredRequests: a copy of a Confirmable request gets the first answer again (RFC 7252 §4.5),
// only a true copy (same session, message id and token), only within the lifetime, and the
// store stays within its bounds, oldest first.
#include "coap/answered_requests.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace lwm2md {
namespace {

using namespace std::chrono_literals;
using Clock = AnsweredRequests::Clock;
using Pdu = std::unique_ptr<coap_pdu_t, decltype(&coap_delete_pdu)>;

coap_session_t* session(std::uintptr_t n) {
  return reinterpret_cast<coap_session_t*>(n);
}

Pdu pdu(coap_pdu_type_t type, coap_pdu_code_t code, coap_mid_t mid, const std::string& token) {
  Pdu p(coap_pdu_init(type, code, mid, 8192), &coap_delete_pdu);
  coap_add_token(p.get(), token.size(), reinterpret_cast<const std::uint8_t*>(token.data()));
  return p;
}

Pdu request(coap_mid_t mid, const std::string& token) {
  return pdu(COAP_MESSAGE_CON, COAP_REQUEST_CODE_POST, mid, token);
}

Pdu answer(const std::string& payload, std::uint8_t block1 = 0) {
  Pdu p = pdu(COAP_MESSAGE_ACK, static_cast<coap_pdu_code_t>(COAP_RESPONSE_CODE(204)), 0, "");
  const std::uint8_t format = 0;
  coap_add_option(p.get(), COAP_OPTION_CONTENT_FORMAT, 1, &format);
  if (block1 != 0) coap_add_option(p.get(), COAP_OPTION_BLOCK1, 1, &block1);
  coap_add_data(p.get(), payload.size(), reinterpret_cast<const std::uint8_t*>(payload.data()));
  return p;
}

std::string payloadOf(const coap_pdu_t* p) {
  size_t length = 0;
  const std::uint8_t* data = nullptr;
  if (!coap_get_data(p, &length, &data)) return {};
  return std::string(reinterpret_cast<const char*>(data), length);
}

int optionCount(const coap_pdu_t* p, coap_option_num_t number) {
  coap_opt_iterator_t it;
  coap_option_iterator_init(p, &it, COAP_OPT_ALL);
  int count = 0;
  while (coap_option_next(&it) != nullptr)
    if (it.number == number) ++count;
  return count;
}

class AnsweredRequestsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { coap_startup(); }
  Clock::time_point t0 = Clock::now();
};

TEST_F(AnsweredRequestsTest, ACopyGetsTheFirstAnswerAndNothingElseDoes) {
  AnsweredRequests answered(16, 64 * 1024, 247s);
  answered.remember(session(1), request(7, "ab").get(), answer("done").get(), t0);

  Pdu again = pdu(COAP_MESSAGE_ACK, COAP_EMPTY_CODE, 7, "ab");
  ASSERT_TRUE(answered.replay(session(1), request(7, "ab").get(), again.get(), t0 + 1s));
  EXPECT_EQ(coap_pdu_get_code(again.get()), static_cast<coap_pdu_code_t>(COAP_RESPONSE_CODE(204)));
  EXPECT_EQ(payloadOf(again.get()), "done");
  EXPECT_EQ(optionCount(again.get(), COAP_OPTION_CONTENT_FORMAT), 1);

  Pdu other = pdu(COAP_MESSAGE_ACK, COAP_EMPTY_CODE, 7, "ab");
  EXPECT_FALSE(answered.replay(session(1), request(7, "ac").get(), other.get(), t0))
      << "another token: a new request";
  EXPECT_FALSE(answered.replay(session(1), request(8, "ab").get(), other.get(), t0));
  EXPECT_FALSE(answered.replay(session(2), request(7, "ab").get(), other.get(), t0))
      << "another server";
  EXPECT_EQ(coap_pdu_get_code(other.get()), COAP_EMPTY_CODE)
      << "nothing written when there is no answer";
}

TEST_F(AnsweredRequestsTest, OptionsTheResponseHasAlreadyAreNotAddedAgain) {
  AnsweredRequests answered(16, 64 * 1024, 247s);
  answered.remember(session(1), request(7, "ab").get(), answer("", 0x08).get(), t0);
  // libcoap names a block with more to follow (Block1) before the handler runs.
  Pdu again = pdu(COAP_MESSAGE_ACK, COAP_EMPTY_CODE, 7, "ab");
  const std::uint8_t block1 = 0x08;
  coap_add_option(again.get(), COAP_OPTION_BLOCK1, 1, &block1);
  ASSERT_TRUE(answered.replay(session(1), request(7, "ab").get(), again.get(), t0));
  EXPECT_EQ(optionCount(again.get(), COAP_OPTION_BLOCK1), 1);
  EXPECT_EQ(optionCount(again.get(), COAP_OPTION_CONTENT_FORMAT), 1);
}

TEST_F(AnsweredRequestsTest, AnswersExpireAfterTheLifetime) {
  AnsweredRequests answered(16, 64 * 1024, 247s);
  answered.remember(session(1), request(7, "ab").get(), answer("done").get(), t0);
  Pdu again = pdu(COAP_MESSAGE_ACK, COAP_EMPTY_CODE, 7, "ab");
  EXPECT_TRUE(answered.replay(session(1), request(7, "ab").get(), again.get(), t0 + 247s));
  Pdu late = pdu(COAP_MESSAGE_ACK, COAP_EMPTY_CODE, 7, "ab");
  EXPECT_FALSE(answered.replay(session(1), request(7, "ab").get(), late.get(), t0 + 248s));
  EXPECT_EQ(answered.size(), 0u);
  EXPECT_EQ(answered.bytes(), 0u);
}

TEST_F(AnsweredRequestsTest, BoundedInNumberAndInBytesOldestFirst) {
  AnsweredRequests byNumber(3, 64 * 1024, 247s);
  for (coap_mid_t mid = 1; mid <= 4; ++mid)
    byNumber.remember(session(1), request(mid, "t").get(), answer("x").get(), t0 + mid * 1s);
  EXPECT_EQ(byNumber.size(), 3u);
  Pdu p = pdu(COAP_MESSAGE_ACK, COAP_EMPTY_CODE, 1, "t");
  EXPECT_FALSE(byNumber.replay(session(1), request(1, "t").get(), p.get(), t0 + 5s));
  EXPECT_TRUE(byNumber.replay(session(1), request(4, "t").get(), p.get(), t0 + 5s));

  // Room for about two answers of 1000 bytes: the third pushes out the first.
  AnsweredRequests byBytes(100, 2500, 247s);
  const std::string big(1000, 'b');
  for (coap_mid_t mid = 1; mid <= 3; ++mid)
    byBytes.remember(session(1), request(mid, "t").get(), answer(big).get(), t0);
  EXPECT_LE(byBytes.bytes(), 2500u);
  EXPECT_EQ(byBytes.size(), 2u);
  Pdu q = pdu(COAP_MESSAGE_ACK, COAP_EMPTY_CODE, 1, "t");
  EXPECT_FALSE(byBytes.replay(session(1), request(1, "t").get(), q.get(), t0));
  EXPECT_TRUE(byBytes.replay(session(1), request(3, "t").get(), q.get(), t0));
  // An answer larger than the whole budget is not kept, and pushes out nothing.
  byBytes.remember(session(1), request(9, "t").get(), answer(std::string(3000, 'c')).get(), t0);
  EXPECT_EQ(byBytes.size(), 2u);
}

TEST_F(AnsweredRequestsTest, ForgettingASessionDropsOnlyItsAnswers) {
  AnsweredRequests answered(16, 64 * 1024, 247s);
  answered.remember(session(1), request(7, "ab").get(), answer("one").get(), t0);
  answered.remember(session(2), request(7, "ab").get(), answer("two").get(), t0);
  answered.forget(session(1));
  EXPECT_EQ(answered.size(), 1u);
  Pdu p = pdu(COAP_MESSAGE_ACK, COAP_EMPTY_CODE, 7, "ab");
  EXPECT_FALSE(answered.replay(session(1), request(7, "ab").get(), p.get(), t0));
  ASSERT_TRUE(answered.replay(session(2), request(7, "ab").get(), p.get(), t0));
  EXPECT_EQ(payloadOf(p.get()), "two");
}

}  // namespace
}  // namespace lwm2md
