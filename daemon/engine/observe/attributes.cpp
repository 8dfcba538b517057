#include "observe/attributes.hpp"

namespace lwm2md {

NotificationAttributes NotificationAttributes::inheritFrom(
    const NotificationAttributes& parent) const {
  NotificationAttributes result = *this;
  if (!result.pmin) result.pmin = parent.pmin;
  if (!result.pmax) result.pmax = parent.pmax;
  if (!result.gt) result.gt = parent.gt;
  if (!result.lt) result.lt = parent.lt;
  if (!result.st) result.st = parent.st;
  if (!result.epmin) result.epmin = parent.epmin;
  if (!result.epmax) result.epmax = parent.epmax;
  if (!result.con) result.con = parent.con;
  return result;
}

NotificationAttributes combineForComposite(const std::vector<NotificationAttributes>& paths) {
  NotificationAttributes result;
  auto largest = [](std::optional<std::uint32_t>& into, std::optional<std::uint32_t> value) {
    if (value && (!into || *value > *into)) into = value;
  };
  // A period of 0 means "none" for pmax and epmax: it never bounds the others.
  auto smallest = [](std::optional<std::uint32_t>& into, std::optional<std::uint32_t> value) {
    if (value && *value > 0 && (!into || *value < *into)) into = value;
  };
  for (const auto& attributes : paths) {
    largest(result.pmin, attributes.pmin);
    smallest(result.pmax, attributes.pmax);
    largest(result.epmin, attributes.epmin);
    smallest(result.epmax, attributes.epmax);
    if (attributes.con) result.con = result.con.value_or(false) || *attributes.con;
  }
  if (result.pmax && result.pmin && *result.pmax < *result.pmin) result.pmax = result.pmin;
  if (result.epmax && result.epmin && *result.epmax < *result.epmin) result.epmax = result.epmin;
  return result;
}

NotificationAttributes AttributeStore::at(std::uint16_t server, const Path& path) const {
  auto it = entries_.find({server, path});
  return it == entries_.end() ? NotificationAttributes{} : it->second;
}

NotificationAttributes AttributeStore::effective(std::uint16_t server, const Path& path,
                                                 const NotificationAttributes& defaults) const {
  NotificationAttributes result = at(server, path);
  Path level = path;
  for (int depth = path.depth() - 1; depth >= 1; --depth) {
    Path parent;
    for (int i = 0; i < depth; ++i) parent = parent.child(level.at(i));
    result = result.inheritFrom(at(server, parent));
  }
  NotificationAttributes periods;
  periods.pmin = defaults.pmin;
  periods.pmax = defaults.pmax;
  return result.inheritFrom(periods);
}

void AttributeStore::set(std::uint16_t server, const Path& path,
                         const NotificationAttributes& attributes) {
  if (attributes.empty())
    entries_.erase({server, path});
  else
    entries_[{server, path}] = attributes;
  changed();
}

void AttributeStore::removeBelow(const Path& path) {
  std::erase_if(entries_, [&](const auto& entry) { return path.contains(entry.first.second); });
  changed();
}

void AttributeStore::removeServer(std::uint16_t server) {
  std::erase_if(entries_, [&](const auto& entry) { return entry.first.first == server; });
  changed();
}

}  // namespace lwm2md
