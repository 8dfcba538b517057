#include "tree/object_tree.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "ddf/object_registry.hpp"

namespace lwm2md {

Instance::Stored Instance::Stored::from(const ResourceData& data) {
  Stored stored;
  stored.id = data.id;
  stored.type = data.type;
  stored.multiple = data.multiple;
  stored.hasValue = data.value.has_value();
  if (data.value) stored.value = *data.value;
  // A single resource carries no instances; an empty map costs no allocation but its pointer.
  if (!data.instances.empty() || data.multiple)
    stored.instances = std::make_unique<std::map<std::uint16_t, Value>>(data.instances);
  return stored;
}

ResourceData Instance::Stored::toData() const {
  ResourceData data;
  data.id = id;
  data.type = type;
  data.multiple = multiple;
  if (hasValue) data.value = value;
  if (instances) data.instances = *instances;
  return data;
}

namespace {

template <typename Vec>
auto lowerBound(Vec& resources, std::uint16_t rid) {
  return std::lower_bound(resources.begin(), resources.end(), rid,
                          [](const auto& stored, std::uint16_t id) { return stored.id < id; });
}

}  // namespace

const Instance::Stored* Instance::findStored(std::uint16_t rid) const {
  auto it = lowerBound(resources_, rid);
  return it != resources_.end() && it->id == rid ? &*it : nullptr;
}

Instance::Stored& Instance::store(std::uint16_t rid) {
  auto it = lowerBound(resources_, rid);
  if (it != resources_.end() && it->id == rid) return *it;
  Stored fresh;
  fresh.id = rid;
  return *resources_.insert(it, std::move(fresh));
}

bool Instance::erase(std::uint16_t rid) {
  auto it = lowerBound(resources_, rid);
  if (it == resources_.end() || it->id != rid) return false;
  resources_.erase(it);
  return true;
}

std::optional<ResourceData> Instance::resource(std::uint16_t rid) const {
  const Stored* stored = findStored(rid);
  if (!stored) return std::nullopt;
  ResourceData data = stored->toData();
  if (dynamicReader_ && !data.multiple) {
    if (auto value = dynamicReader_(rid)) data.value = std::move(*value);
  }
  return data;
}

InstanceData Instance::snapshot() const {
  InstanceData data{iid_, {}};
  data.resources.reserve(resources_.size());
  for (const auto& stored : resources_)
    if (auto r = resource(stored.id)) data.resources.push_back(std::move(*r));
  return data;
}

std::vector<std::uint16_t> Instance::resourceIds() const {
  std::vector<std::uint16_t> ids;
  ids.reserve(resources_.size());
  for (const auto& stored : resources_) ids.push_back(stored.id);
  return ids;
}

void ObjectTree::removeListener(TreeListener* listener) {
  std::erase(listeners_, listener);
}

Result<Instance*> ObjectTree::addInstance(std::uint16_t oid, std::uint16_t iid,
                                          const std::vector<ResourceData>& values,
                                          std::string owner) {
  const ObjectDef* def = registry_.find(oid);
  if (!def)
    return Error{CoapCode::NotFound, fmt::format("object {} has no definition", oid),
                 ErrorKind::UnknownObject};
  auto& instances = objects_[oid];
  if (!def->multiple && !instances.empty() && !(iid != Path::kInvalidId && instances.contains(iid)))
    return Error{CoapCode::BadRequest,
                 fmt::format("object {} ({}) is single-instance and already has instance {}", oid,
                             def->name, instances.begin()->first),
                 ErrorKind::AlreadyExists};
  if (iid == Path::kInvalidId) {
    iid = 0;
    while (instances.contains(iid)) ++iid;
  }
  if (iid >= Path::kInvalidId)
    return Error{CoapCode::BadRequest, "no free instance id left", ErrorKind::InvalidValue};
  if (instances.contains(iid))
    return Error{CoapCode::BadRequest, fmt::format("instance /{}/{} already exists", oid, iid),
                 ErrorKind::AlreadyExists};

  auto instance = std::make_unique<Instance>(*def, iid, std::move(owner));
  if (auto status = validate(*instance, values); !status) {
    if (instances.empty()) objects_.erase(oid);
    return status.error();
  }
  // Sorted once and sized exactly: the vector is the instance's only per-resource storage.
  instance->resources_.reserve(values.size());
  for (const auto& value : values) instance->resources_.push_back(Instance::Stored::from(value));
  std::sort(instance->resources_.begin(), instance->resources_.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  Instance* raw = instance.get();
  instances.emplace(iid, std::move(instance));
  for (auto* listener : listeners_) listener->instanceAdded(*raw);
  return raw;
}

Status ObjectTree::removeInstance(std::uint16_t oid, std::uint16_t iid) {
  auto obj = objects_.find(oid);
  if (obj == objects_.end() || !obj->second.contains(iid))
    return Error{CoapCode::NotFound, fmt::format("no instance /{}/{}", oid, iid),
                 ErrorKind::NotFound};
  obj->second.erase(iid);
  if (obj->second.empty()) objects_.erase(obj);
  for (auto* listener : listeners_) listener->instanceRemoved(oid, iid);
  return {};
}

std::vector<std::pair<std::uint16_t, std::uint16_t>> ObjectTree::removeOwnedBy(
    const std::string& owner) {
  std::vector<std::pair<std::uint16_t, std::uint16_t>> owned;
  for (const auto& [oid, instances] : objects_)
    for (const auto& [iid, instance] : instances)
      if (instance->owner() == owner) owned.emplace_back(oid, iid);
  for (const auto& [oid, iid] : owned) (void)removeInstance(oid, iid);
  return owned;
}

Instance* ObjectTree::find(std::uint16_t oid, std::uint16_t iid) {
  auto obj = objects_.find(oid);
  if (obj == objects_.end()) return nullptr;
  auto it = obj->second.find(iid);
  return it == obj->second.end() ? nullptr : it->second.get();
}

const Instance* ObjectTree::find(std::uint16_t oid, std::uint16_t iid) const {
  return const_cast<ObjectTree*>(this)->find(oid, iid);
}

std::vector<const Instance*> ObjectTree::instancesOf(std::uint16_t oid) const {
  std::vector<const Instance*> result;
  if (auto obj = objects_.find(oid); obj != objects_.end())
    for (const auto& entry : obj->second) result.push_back(entry.second.get());
  return result;
}

std::vector<const Instance*> ObjectTree::allInstances() const {
  std::vector<const Instance*> result;
  for (const auto& obj : objects_)
    for (const auto& entry : obj.second) result.push_back(entry.second.get());
  return result;
}

bool ObjectTree::hasObject(std::uint16_t oid) const {
  return objects_.contains(oid);
}

Status ObjectTree::validate(const Instance& instance,
                            const std::vector<ResourceData>& values) const {
  const ObjectDef& def = instance.definition();
  std::vector<std::uint16_t> seen;
  for (const auto& value : values) {
    const std::string where = fmt::format("/{}/{}/{}", def.id, instance.instanceId(), value.id);
    const ResourceDef* res = def.resource(value.id);
    if (!res)
      return Error{CoapCode::NotFound,
                   fmt::format("{}: object {} ({}) defines no resource {}", where, def.id, def.name,
                               value.id),
                   ErrorKind::NotFound};
    if (std::find(seen.begin(), seen.end(), value.id) != seen.end())
      return Error{CoapCode::BadRequest, fmt::format("{} ({}) given twice", where, res->name),
                   ErrorKind::InvalidValue};
    seen.push_back(value.id);
    if (res->operations.execute)
      return Error{CoapCode::MethodNotAllowed,
                   fmt::format("{} ({}) is executable and holds no value", where, res->name),
                   ErrorKind::InvalidValue};
    if (value.multiple != res->multiple || (!res->multiple && !value.value))
      return Error{CoapCode::BadRequest,
                   fmt::format("{} ({}) is a {} resource", where, res->name,
                               res->multiple ? "multiple-instance" : "single-instance"),
                   ErrorKind::InvalidType};
    auto checkType = [&](const Value& v, const std::string& at) -> Status {
      if (holdsType(v, res->type)) return {};
      return Error{CoapCode::BadRequest,
                   fmt::format("{} ({}) takes {} ('{}' on D-Bus)", at, res->name,
                               toString(res->type), dbusSignature(res->type)),
                   ErrorKind::InvalidType};
    };
    if (value.value)
      if (auto s = checkType(*value.value, where); !s) return s;
    for (const auto& [riid, v] : value.instances) {
      if (riid >= Path::kInvalidId)
        return Error{CoapCode::BadRequest,
                     fmt::format("{}: resource instance id 65535 is reserved", where),
                     ErrorKind::InvalidValue};
      if (auto s = checkType(v, fmt::format("{}/{}", where, riid)); !s) return s;
    }
  }
  if (auto it = validators_.find(def.id); it != validators_.end())
    return it->second(instance, values);
  return {};
}

Status ObjectTree::setValues(std::uint16_t oid, std::uint16_t iid,
                             const std::vector<ResourceData>& values, ChangeOrigin origin,
                             bool replaceMultiple, const std::vector<std::uint16_t>& remove) {
  Instance* instance = find(oid, iid);
  if (!instance)
    return Error{CoapCode::NotFound, fmt::format("no instance /{}/{}", oid, iid),
                 ErrorKind::NotFound};
  if (auto status = validate(*instance, values); !status) return status;
  for (std::uint16_t rid : remove)
    for (const auto& value : values)
      if (value.id == rid)
        return Error{CoapCode::BadRequest,
                     fmt::format("/{}/{}/{} is both written and removed", oid, iid, rid),
                     ErrorKind::InvalidValue};
  std::vector<std::uint16_t> rids;
  for (std::uint16_t rid : remove)
    if (instance->erase(rid)) rids.push_back(rid);
  for (const auto& value : values) {
    auto& stored = instance->store(value.id);
    if (value.multiple && !replaceMultiple && stored.multiple && stored.instances) {
      for (const auto& [riid, v] : value.instances) (*stored.instances)[riid] = v;
    } else {
      stored = Instance::Stored::from(value);
    }
    rids.push_back(value.id);
  }
  std::sort(rids.begin(), rids.end());
  for (auto* listener : listeners_) listener->valuesChanged(*instance, rids, origin);
  return {};
}

void ObjectTree::notifyExecuted(const Instance& instance, std::uint16_t rid,
                                const std::string& args) {
  for (auto* listener : listeners_) listener->executed(instance, rid, args);
}

}  // namespace lwm2md
