#include "coap/answered_requests.hpp"

namespace lwm2md {

AnsweredRequests::AnsweredRequests(std::size_t maxAnswers, std::size_t maxBytes,
                                   Clock::duration lifetime)
    : maxAnswers_(maxAnswers), maxBytes_(maxBytes), lifetime_(lifetime) {}

std::size_t AnsweredRequests::Answer::bytes() const {
  std::size_t total = sizeof(Answer) + key.token.size() + payload.size();
  for (const auto& option : options) total += sizeof(option) + option.second.size();
  return total;
}

AnsweredRequests::Key AnsweredRequests::keyOf(coap_session_t* session, const coap_pdu_t* request) {
  const coap_bin_const_t token = coap_pdu_get_token(request);
  return Key{session, coap_pdu_get_mid(request),
             std::vector<std::uint8_t>(token.s, token.s + token.length)};
}

void AnsweredRequests::remember(coap_session_t* session, const coap_pdu_t* request,
                                const coap_pdu_t* response, Clock::time_point now) {
  expire(now);
  Answer answer{keyOf(session, request), now, coap_pdu_get_code(response), {}, {}};
  coap_opt_iterator_t it;
  coap_option_iterator_init(response, &it, COAP_OPT_ALL);
  while (coap_opt_t* option = coap_option_next(&it)) {
    const std::uint8_t* value = coap_opt_value(option);
    answer.options.emplace_back(static_cast<std::uint16_t>(it.number),
                                std::vector<std::uint8_t>(value, value + coap_opt_length(option)));
  }
  size_t length = 0;
  const uint8_t* data = nullptr;
  if (coap_get_data(response, &length, &data) && length > 0)
    answer.payload.assign(data, data + length);
  const std::size_t size = answer.bytes();
  if (size > maxBytes_ || maxAnswers_ == 0) return;  // never kept: it would push out all else
  if (auto old = index_.find(answer.key); old != index_.end()) {
    bytes_ -= old->second->bytes();
    answers_.erase(old->second);
    index_.erase(old);
  }
  while (!answers_.empty() && (answers_.size() >= maxAnswers_ || bytes_ + size > maxBytes_))
    dropOldest();
  bytes_ += size;
  answers_.push_back(std::move(answer));
  index_[answers_.back().key] = std::prev(answers_.end());
}

bool AnsweredRequests::replay(coap_session_t* session, const coap_pdu_t* request,
                              coap_pdu_t* response, Clock::time_point now) {
  expire(now);
  const auto found = index_.find(keyOf(session, request));
  if (found == index_.end()) return false;
  const Answer& answer = *found->second;
  coap_pdu_set_code(response, answer.code);
  for (const auto& [number, value] : answer.options) {
    coap_opt_iterator_t it;
    if (coap_check_option(response, number, &it) != nullptr) continue;
    coap_add_option(response, number, value.size(), value.data());
  }
  if (!answer.payload.empty())
    coap_add_data(response, answer.payload.size(), answer.payload.data());
  return true;
}

void AnsweredRequests::forget(coap_session_t* session) {
  for (auto it = answers_.begin(); it != answers_.end();) {
    if (it->key.session != session) {
      ++it;
      continue;
    }
    bytes_ -= it->bytes();
    index_.erase(it->key);
    it = answers_.erase(it);
  }
}

void AnsweredRequests::expire(Clock::time_point now) {
  while (!answers_.empty() && now - answers_.front().at > lifetime_) dropOldest();
}

void AnsweredRequests::dropOldest() {
  bytes_ -= answers_.front().bytes();
  index_.erase(answers_.front().key);
  answers_.pop_front();
}

}  // namespace lwm2md
