#pragma once

#include <cstddef>
#include <memory>

namespace lwm2md {

/// Counts the server requests waiting for callback providers, all servers together, against a
/// limit ([limits] max_pending_requests): a provider that stops answering must not let the
/// requests a server keeps sending pile up for as long as the provider timeout.
class PendingSlots {
 public:
  /// One waiting request's place. It frees at release() or, should the request be dropped
  /// unanswered, when the last copy of the completion holding it goes: every path frees it.
  class Slot {
   public:
    explicit Slot(std::shared_ptr<std::size_t> count) : count_(std::move(count)) { ++*count_; }
    ~Slot() { release(); }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    void release();

   private:
    std::shared_ptr<std::size_t> count_;
    bool released_ = false;
  };

  /// 0: no limit.
  explicit PendingSlots(std::size_t limit = 0) : limit_(limit) {}

  /// A lower limit drops no slot already held; it refuses new ones until enough are freed.
  void setLimit(std::size_t limit) { limit_ = limit; }
  std::size_t limit() const { return limit_; }
  std::size_t count() const { return *count_; }

  /// A place for one more request, or null when `limit` are taken.
  std::shared_ptr<Slot> acquire();

 private:
  std::size_t limit_;
  // Shared with the slots, which may outlive this counter (a completion kept by a provider
  // call that is still running while the daemon shuts down).
  std::shared_ptr<std::size_t> count_ = std::make_shared<std::size_t>(0);
};

}  // namespace lwm2md
