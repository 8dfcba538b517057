#include "dm/attribute_query.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <string_view>

namespace lwm2md {

namespace {

Result<std::uint32_t> parseInteger(std::string_view item, std::string_view text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
      value > std::numeric_limits<std::uint32_t>::max())
    return badRequest(
        fmt::format("Write-Attributes: '{}' needs a non-negative integer below 2^32", item));
  return static_cast<std::uint32_t>(value);
}

Result<double> parseDecimal(std::string_view item, std::string_view text) {
  double value = 0;
  // from_chars accepts no leading '+', which keeps the grammar strict; '-' is allowed.
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value,
                                   std::chars_format::fixed | std::chars_format::scientific);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
      !std::isfinite(value))
    return badRequest(fmt::format("Write-Attributes: '{}' needs a finite decimal number", item));
  return value;
}

/// Stores `value` in `slot` unless it was given before.
template <typename T>
Status assign(std::optional<T>& slot, std::optional<T>& other, T value, std::string_view name) {
  if (slot || other)
    return badRequest(fmt::format("Write-Attributes: '{}' is given more than once", name));
  slot = value;
  return {};
}

std::string formatDecimal(double value) {
  return fmt::format("{}", value);
}

}  // namespace

Result<AttributeChanges> parseAttributeQuery(const std::vector<std::string>& query) {
  AttributeChanges changes;
  for (const std::string& item : query) {
    const auto eq = item.find('=');
    const std::string name = item.substr(0, eq);
    const bool hasValue = eq != std::string::npos;
    const std::string_view text =
        hasValue ? std::string_view(item).substr(eq + 1) : std::string_view();
    NotificationAttributes& target = hasValue ? changes.set : changes.clear;
    NotificationAttributes& other = hasValue ? changes.clear : changes.set;

    auto integer = [&](std::optional<std::uint32_t> NotificationAttributes::*member) -> Status {
      std::uint32_t value = 0;
      if (hasValue) {
        auto parsed = parseInteger(item, text);
        if (!parsed) return parsed.error();
        value = *parsed;
      }
      return assign(target.*member, other.*member, value, name);
    };
    auto decimal = [&](std::optional<double> NotificationAttributes::*member,
                       bool nonNegative) -> Status {
      double value = 0;
      if (hasValue) {
        auto parsed = parseDecimal(item, text);
        if (!parsed) return parsed.error();
        if (nonNegative && *parsed < 0)
          return badRequest(fmt::format("Write-Attributes: '{}': st must not be negative", item));
        value = *parsed;
      }
      return assign(target.*member, other.*member, value, name);
    };

    Status status;
    if (name == "pmin")
      status = integer(&NotificationAttributes::pmin);
    else if (name == "pmax")
      status = integer(&NotificationAttributes::pmax);
    else if (name == "epmin")
      status = integer(&NotificationAttributes::epmin);
    else if (name == "epmax")
      status = integer(&NotificationAttributes::epmax);
    else if (name == "gt")
      status = decimal(&NotificationAttributes::gt, false);
    else if (name == "lt")
      status = decimal(&NotificationAttributes::lt, false);
    else if (name == "st")
      status = decimal(&NotificationAttributes::st, true);
    else if (name == "con") {
      if (hasValue && text != "0" && text != "1")
        return badRequest(fmt::format("Write-Attributes: '{}': con is 0 or 1", item));
      status = assign(target.con, other.con, text == "1", name);
    } else {
      return badRequest(
          fmt::format("Write-Attributes: unknown attribute '{}' (known: pmin, pmax, gt, lt, st, "
                      "epmin, epmax, con)",
                      name.empty() ? item : name));
    }
    if (!status) return status.error();
  }
  return changes;
}

NotificationAttributes applyChanges(const NotificationAttributes& current,
                                    const AttributeChanges& changes) {
  NotificationAttributes result = current;
  auto apply = [](auto& slot, const auto& set, const auto& clear) {
    if (clear) slot.reset();
    if (set) slot = set;
  };
  apply(result.pmin, changes.set.pmin, changes.clear.pmin);
  apply(result.pmax, changes.set.pmax, changes.clear.pmax);
  apply(result.gt, changes.set.gt, changes.clear.gt);
  apply(result.lt, changes.set.lt, changes.clear.lt);
  apply(result.st, changes.set.st, changes.clear.st);
  apply(result.epmin, changes.set.epmin, changes.clear.epmin);
  apply(result.epmax, changes.set.epmax, changes.clear.epmax);
  apply(result.con, changes.set.con, changes.clear.con);
  return result;
}

Status checkConsistency(const NotificationAttributes& a) {
  if (a.pmin && a.pmax && *a.pmin > *a.pmax)
    return badRequest(
        fmt::format("Write-Attributes: pmin ({}) must not exceed pmax ({})", *a.pmin, *a.pmax));
  if (a.epmin && a.epmax && *a.epmin > *a.epmax)
    return badRequest(
        fmt::format("Write-Attributes: epmin ({}) must not exceed epmax ({})", *a.epmin, *a.epmax));
  if (a.lt && a.gt) {
    if (!(*a.lt < *a.gt))
      return badRequest(fmt::format("Write-Attributes: lt ({}) must be less than gt ({})",
                                    formatDecimal(*a.lt), formatDecimal(*a.gt)));
    if (a.st && !(*a.lt + 2 * *a.st < *a.gt))
      return badRequest(
          fmt::format("Write-Attributes: lt + 2*st ({} + 2*{}) must be less than gt ({})",
                      formatDecimal(*a.lt), formatDecimal(*a.st), formatDecimal(*a.gt)));
  }
  return {};
}

std::vector<LinkAttribute> toLinkAttributes(const NotificationAttributes& a) {
  std::vector<LinkAttribute> out;
  auto add = [&out](const char* name, std::string value) {
    out.push_back({name, std::move(value), false});
  };
  if (a.pmin) add("pmin", std::to_string(*a.pmin));
  if (a.pmax) add("pmax", std::to_string(*a.pmax));
  if (a.gt) add("gt", formatDecimal(*a.gt));
  if (a.lt) add("lt", formatDecimal(*a.lt));
  if (a.st) add("st", formatDecimal(*a.st));
  if (a.epmin) add("epmin", std::to_string(*a.epmin));
  if (a.epmax) add("epmax", std::to_string(*a.epmax));
  if (a.con) add("con", *a.con ? "1" : "0");
  return out;
}

}  // namespace lwm2md
