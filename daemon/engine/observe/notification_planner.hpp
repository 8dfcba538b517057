#pragma once

#include <chrono>
#include <optional>

#include "observe/attributes.hpp"

namespace lwm2md {

/// Decides when one observation notifies (LwM2M 1.1 TS §5.1.2, §6.4): pure logic over time
/// points handed in by the caller, so it is tested with a fake clock. The caller (the
/// ObserveManager) samples the observed value whenever nextWakeUp() is due or a change event
/// arrives, asks evaluate() and, on Send, sends and reports it with sent().
///
/// - pmin: nothing is sent earlier than pmin after the previous notification; a change inside
///   pmin is evaluated when pmin expires.
/// - pmax: a notification is forced pmax after the previous one (ignored when 0 or < pmin).
/// - gt/lt/st: for numeric values only (the caller passes the number): a change notifies only
///   when it crosses gt or lt, or moved by at least st since the last notified value. Without
///   any of them, every change notifies.
/// - epmin: a change is not evaluated earlier than epmin after the previous evaluation.
/// - epmax: the value is sampled at least every epmax even without a change event (values that
///   change without an event, like the current time). Ignored when 0 or < epmin.
class NotificationPlanner {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;

  enum class Verdict { Send, Hold };

  /// A sample of the observed value at evaluation time.
  struct Sample {
    /// The value differs from the one last sent (the encoded payloads differ).
    bool differs = false;
    /// The numeric value, when the observation is on one numeric resource (for gt/lt/st).
    std::optional<double> number;
  };

  /// `sentAt`: when the first response (the initial value) went out; `sentNumber` its value.
  NotificationPlanner(const NotificationAttributes& attributes, TimePoint sentAt,
                      std::optional<double> sentNumber);

  /// The effective attributes changed (Write-Attributes, the Server object's defaults).
  void setAttributes(const NotificationAttributes& attributes) { attributes_ = attributes; }
  const NotificationAttributes& attributes() const { return attributes_; }

  /// A change event (D-Bus Set, server write, instance added) touched the observed path.
  void markChanged() { changePending_ = true; }
  bool changePending() const { return changePending_; }

  /// When evaluate() is due next; nullopt when only a change event can make one due.
  std::optional<TimePoint> nextWakeUp() const;

  /// Samples at `now`: Send when a notification must go out now, Hold otherwise.
  Verdict evaluate(TimePoint now, const Sample& sample);

  /// A notification with `number` (if numeric) went out at `now`.
  void sent(TimePoint now, std::optional<double> number);
  /// Sending failed at `now`: the periods restart from now (no retry loop), and the unsent value
  /// still counts as different at the next evaluation.
  void failed(TimePoint now);

  TimePoint lastSentAt() const { return lastSentAt_; }

 private:
  std::chrono::seconds pmin() const;
  std::optional<std::chrono::seconds> pmax() const;
  std::chrono::seconds epmin() const;
  std::optional<std::chrono::seconds> epmax() const;
  bool conditionsMet(const Sample& sample) const;

  NotificationAttributes attributes_;
  TimePoint lastSentAt_;
  std::optional<double> lastSentNumber_;
  TimePoint lastEvaluatedAt_;
  bool changePending_ = false;
};

/// Whether a notification goes as CON: when the server's configuration asks for it, when the
/// `con` attribute (LwM2M 1.2) is 1, or when no CON went out for the observation for 24 hours
/// (RFC 7641 §4.5: a server that lost interest must be found out at least that often).
bool notifyConfirmable(bool configured, const NotificationAttributes& attributes,
                       NotificationPlanner::TimePoint lastConfirmableAt,
                       NotificationPlanner::TimePoint now);

}  // namespace lwm2md
