#include "observe/notification_planner.hpp"

#include <algorithm>
#include <cmath>

namespace lwm2md {

NotificationPlanner::NotificationPlanner(const NotificationAttributes& attributes, TimePoint sentAt,
                                         std::optional<double> sentNumber)
    : attributes_(attributes),
      lastSentAt_(sentAt),
      lastSentNumber_(sentNumber),
      lastEvaluatedAt_(sentAt) {}

std::chrono::seconds NotificationPlanner::pmin() const {
  return std::chrono::seconds(attributes_.pmin.value_or(0));
}

std::optional<std::chrono::seconds> NotificationPlanner::pmax() const {
  // A pmax of 0 means "none"; one below pmin could never be honoured (TS §5.1.2).
  if (!attributes_.pmax || *attributes_.pmax == 0) return std::nullopt;
  if (*attributes_.pmax < attributes_.pmin.value_or(0)) return std::nullopt;
  return std::chrono::seconds(*attributes_.pmax);
}

std::chrono::seconds NotificationPlanner::epmin() const {
  return std::chrono::seconds(attributes_.epmin.value_or(0));
}

std::optional<std::chrono::seconds> NotificationPlanner::epmax() const {
  if (!attributes_.epmax || *attributes_.epmax == 0) return std::nullopt;
  if (*attributes_.epmax < attributes_.epmin.value_or(0)) return std::nullopt;
  return std::chrono::seconds(*attributes_.epmax);
}

std::optional<NotificationPlanner::TimePoint> NotificationPlanner::nextWakeUp() const {
  std::optional<TimePoint> next;
  auto consider = [&](TimePoint t) {
    if (!next || t < *next) next = t;
  };
  if (changePending_) consider(std::max(lastSentAt_ + pmin(), lastEvaluatedAt_ + epmin()));
  if (auto max = pmax()) consider(lastSentAt_ + *max);
  if (auto max = epmax()) consider(lastEvaluatedAt_ + *max);
  return next;
}

NotificationPlanner::Verdict NotificationPlanner::evaluate(TimePoint now, const Sample& sample) {
  lastEvaluatedAt_ = now;
  if (auto max = pmax(); max && now >= lastSentAt_ + *max) {
    changePending_ = false;
    return Verdict::Send;  // pmax forces a notification, changed or not
  }
  if (now < lastSentAt_ + pmin()) {
    // Too early: a change seen now is evaluated again when pmin expires.
    if (sample.differs) changePending_ = true;
    return Verdict::Hold;
  }
  changePending_ = false;
  if (!sample.differs) return Verdict::Hold;
  return conditionsMet(sample) ? Verdict::Send : Verdict::Hold;
}

void NotificationPlanner::sent(TimePoint now, std::optional<double> number) {
  lastSentAt_ = now;
  lastEvaluatedAt_ = now;
  lastSentNumber_ = number;
  changePending_ = false;
}

void NotificationPlanner::failed(TimePoint now) {
  lastSentAt_ = now;
  lastEvaluatedAt_ = now;
  changePending_ = false;
}

bool notifyConfirmable(bool configured, const NotificationAttributes& attributes,
                       NotificationPlanner::TimePoint lastConfirmableAt,
                       NotificationPlanner::TimePoint now) {
  constexpr std::chrono::hours kConfirmableAtLeastEvery{24};
  return configured || attributes.con.value_or(false) ||
         now - lastConfirmableAt >= kConfirmableAtLeastEvery;
}

bool NotificationPlanner::conditionsMet(const Sample& sample) const {
  const auto& a = attributes_;
  if (!a.gt && !a.lt && !a.st) return true;
  // gt/lt/st only mean something for a numeric value with a numeric predecessor.
  if (!sample.number || !lastSentNumber_) return true;
  const double value = *sample.number;
  const double last = *lastSentNumber_;
  if (a.gt && ((last > *a.gt) != (value > *a.gt))) return true;
  if (a.lt && ((last < *a.lt) != (value < *a.lt))) return true;
  if (a.st && std::fabs(value - last) >= *a.st) return true;
  return false;
}

}  // namespace lwm2md
