#pragma once

#include <string>
#include <vector>

#include "io/link_format.hpp"
#include "model/result.hpp"
#include "observe/attributes.hpp"

namespace lwm2md {

/// What one Write-Attributes request asks for: values to set and attributes to remove
/// (`?pmin` without a value removes pmin, LwM2M 1.1 TS §5.4.4).
struct AttributeChanges {
  NotificationAttributes set;
  NotificationAttributes clear;  // an engaged member means "remove this attribute"

  bool operator==(const AttributeChanges&) const = default;
};

/// Parses the Uri-Query items of a Write-Attributes ("pmin=10", "gt=20.5", "pmax", "con=1").
/// pmin, pmax, epmin, epmax: decimal integers 0..2^32-1; gt, lt: finite decimals; st: a finite
/// non-negative decimal; con: 0 or 1. Errors (4.00) name the offending item: an unknown
/// attribute, an empty or malformed value, an attribute given twice.
Result<AttributeChanges> parseAttributeQuery(const std::vector<std::string>& query);

/// `current` with `changes` applied.
NotificationAttributes applyChanges(const NotificationAttributes& current,
                                    const AttributeChanges& changes);

/// The TS's consistency rules for the attributes of one path (LwM2M 1.1 TS §5.1.2):
/// pmin <= pmax, epmin <= epmax, lt < gt and lt + 2*st < gt when those are set. 4.00 naming
/// the rule.
Status checkConsistency(const NotificationAttributes& attributes);

/// The attributes as link-params in the TS's order (pmin, pmax, gt, lt, st, epmin, epmax, con).
std::vector<LinkAttribute> toLinkAttributes(const NotificationAttributes& attributes);

}  // namespace lwm2md
