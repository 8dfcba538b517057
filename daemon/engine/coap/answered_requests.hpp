#pragma once

#include <coap3/coap.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <tuple>
#include <utility>
#include <vector>

namespace lwm2md {

/// The piggybacked answers to a server's recent Confirmable requests, so that a copy of one (the
/// server retransmitting because our ACK was lost, or the network duplicating it) gets the same
/// answer without being served again: RFC 7252 §4.5 ("SHOULD process any request ... only once").
/// libcoap 4.3.1 hands every copy to the handler, which would otherwise execute an Execute or
/// create an instance twice, or refuse the last block of a body it already wrote (4.08).
///
/// Keyed by session, message id and token (a reused message id with another token is a new
/// request), kept for EXCHANGE_LIFETIME, and bounded in number and bytes: the oldest go first,
/// so a flood of requests keeps memory flat.
class AnsweredRequests {
 public:
  using Clock = std::chrono::steady_clock;

  AnsweredRequests(std::size_t maxAnswers, std::size_t maxBytes, Clock::duration lifetime);

  /// Keeps `response` (code, options, payload) as the answer to `request` on `session`.
  void remember(coap_session_t* session, const coap_pdu_t* request, const coap_pdu_t* response,
                Clock::time_point now);
  /// When `request` is a copy of one answered within the lifetime, writes that answer into
  /// `response` (options it already has are left as they are) and returns true.
  bool replay(coap_session_t* session, const coap_pdu_t* request, coap_pdu_t* response,
              Clock::time_point now);
  /// Drops what was kept for `session` (it is going away).
  void forget(coap_session_t* session);

  std::size_t size() const { return answers_.size(); }
  std::size_t bytes() const { return bytes_; }

 private:
  struct Key {
    coap_session_t* session;
    coap_mid_t mid;
    std::vector<std::uint8_t> token;
    bool operator<(const Key& other) const {
      return std::tie(session, mid, token) < std::tie(other.session, other.mid, other.token);
    }
  };
  struct Answer {
    Key key;
    Clock::time_point at;
    coap_pdu_code_t code;
    std::vector<std::pair<std::uint16_t, std::vector<std::uint8_t>>> options;
    std::vector<std::uint8_t> payload;
    std::size_t bytes() const;
  };
  static Key keyOf(coap_session_t* session, const coap_pdu_t* request);
  void expire(Clock::time_point now);
  void dropOldest();

  std::size_t maxAnswers_;
  std::size_t maxBytes_;
  Clock::duration lifetime_;
  std::size_t bytes_ = 0;
  /// Oldest first; index_ points into it.
  std::list<Answer> answers_;
  std::map<Key, std::list<Answer>::iterator> index_;
};

}  // namespace lwm2md
