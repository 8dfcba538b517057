#include "app/pending_slots.hpp"

namespace lwm2md {

void PendingSlots::Slot::release() {
  if (released_) return;
  released_ = true;
  --*count_;
}

std::shared_ptr<PendingSlots::Slot> PendingSlots::acquire() {
  if (limit_ != 0 && *count_ >= limit_) return nullptr;
  return std::make_shared<Slot>(count_);
}

}  // namespace lwm2md
