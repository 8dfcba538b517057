#include "io/senml_records.hpp"

#include <fmt/format.h>

#include <cmath>
#include <map>

#include "io/base64.hpp"
#include "io/base64url.hpp"
#include "io/utf8.hpp"

namespace lwm2md {

namespace {

Error internalError(std::string_view format, std::string message) {
  return {CoapCode::InternalServerError, fmt::format("{}: {}", format, message), ErrorKind::Failed};
}

std::string_view withArticle(ResourceType type) {
  switch (type) {
    case ResourceType::String:
      return "a String";
    case ResourceType::Integer:
      return "an Integer";
    case ResourceType::UnsignedInteger:
      return "an Unsigned Integer";
    case ResourceType::Float:
      return "a Float";
    case ResourceType::Boolean:
      return "a Boolean";
    case ResourceType::Opaque:
      return "an Opaque";
    case ResourceType::Time:
      return "a Time";
    case ResourceType::Objlnk:
      return "an Objlnk";
    case ResourceType::Corelnk:
      return "a Corelnk";
    case ResourceType::None:
      break;
  }
  return "an executable";
}

std::string_view kindName(RecordValue::Kind kind) {
  switch (kind) {
    case RecordValue::Kind::Number:
      return "a number";
    case RecordValue::Kind::String:
      return "a string";
    case RecordValue::Kind::Boolean:
      return "a boolean";
    case RecordValue::Kind::Data:
      return "data";
    case RecordValue::Kind::Objlnk:
      return "an object link";
  }
  return "a value";
}

// ---- encoding ---------------------------------------------------------------------------

Result<RecordValue> recordValueOf(const Value& value, ResourceType type, const Path& where,
                                  std::string_view format) {
  if (!holdsType(value, type))
    return internalError(format, fmt::format("value {} of {} is not {}", describe(value),
                                             where.toString(), withArticle(type)));
  switch (type) {
    case ResourceType::String:
    case ResourceType::Corelnk:
      return RecordValue::ofString(std::get<std::string>(value));
    case ResourceType::Integer:
    case ResourceType::Time:
      return RecordValue::ofNumber(std::get<std::int64_t>(value));
    case ResourceType::UnsignedInteger:
      return RecordValue::ofNumber(std::get<std::uint64_t>(value));
    case ResourceType::Float:
      return RecordValue::ofNumber(std::get<double>(value));
    case ResourceType::Boolean:
      return RecordValue::ofBoolean(std::get<bool>(value));
    case ResourceType::Opaque:
      return RecordValue::ofData(std::get<Opaque>(value));
    case ResourceType::Objlnk: {
      const auto& link = std::get<Objlnk>(value);
      return RecordValue::ofObjlnk(fmt::format("{}:{}", link.objectId, link.instanceId));
    }
    case ResourceType::None:
      break;
  }
  return internalError(format, fmt::format("{} is executable and has no value", where.toString()));
}

Status appendRecord(std::vector<Record>& out, std::optional<std::string> name, const Value& value,
                    ResourceType type, const Path& where, std::string_view format) {
  auto recordValue = recordValueOf(value, type, where, format);
  if (!recordValue) return recordValue.error();
  Record record;
  record.name = std::move(name);
  record.value = std::move(*recordValue);
  out.push_back(std::move(record));
  return {};
}

/// Records of one resource; names are `prefix` + rid (+ "/" + riid).
Status appendResource(std::vector<Record>& out, const std::string& prefix,
                      const ResourceData& resource, const Path& where, std::string_view format) {
  const std::string name = prefix + std::to_string(resource.id);
  if (resource.multiple) {
    for (const auto& [riid, value] : resource.instances)
      if (auto status = appendRecord(out, name + "/" + std::to_string(riid), value, resource.type,
                                     where.child(riid), format);
          !status)
        return status;
    return {};
  }
  if (!resource.value)
    return internalError(format, fmt::format("{} has no value", where.toString()));
  return appendRecord(out, name, *resource.value, resource.type, where, format);
}

const InstanceData* findInstance(const Content& content) {
  for (const auto& instance : content.instances)
    if (instance.id == content.path.instanceId()) return &instance;
  return nullptr;
}

const ResourceData* findResource(const Content& content) {
  if (const auto* instance = findInstance(content))
    for (const auto& resource : instance->resources)
      if (resource.id == content.path.resourceId()) return &resource;
  return nullptr;
}

// ---- decoding ---------------------------------------------------------------------------

/// Context for the messages of one record.
struct RecordContext {
  const RecordDialect& dialect;
  std::size_t index;
  const Record& record;
  Path where;

  Error fail(std::string what) const {
    return badRequest(
        fmt::format("{}: record {} ({}): {}", dialect.format, index, where.toString(), what));
  }
  Error wrongKind(const RecordValue& value, ResourceType type) const {
    return fail(fmt::format("field '{}' holds {}, but the resource is {}", record.valueField,
                            kindName(value.kind), withArticle(type)));
  }
};

std::optional<std::uint16_t> parseLinkId(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  unsigned value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > 65535) return std::nullopt;  // 65535:65535 is the null link, so 65535 is allowed
  return static_cast<std::uint16_t>(value);
}

Result<Value> integerOf(const RecordValue::Number& number, const RecordContext& ctx,
                        ResourceType type) {
  // 2^63 as a double; the range is half-open because INT64_MAX itself is not a double.
  constexpr double kLimit = 9223372036854775808.0;
  if (const auto* i = std::get_if<std::int64_t>(&number)) return Value{*i};
  if (const auto* u = std::get_if<std::uint64_t>(&number)) {
    if (*u > static_cast<std::uint64_t>(INT64_MAX))
      return ctx.fail(fmt::format("{} is out of range for {}", *u, withArticle(type)));
    return Value{static_cast<std::int64_t>(*u)};
  }
  const double d = std::get<double>(number);
  if (!std::isfinite(d) || std::trunc(d) != d)
    return ctx.fail(fmt::format("{} is not {}", d, withArticle(type)));
  if (d < -kLimit || d >= kLimit)
    return ctx.fail(fmt::format("{} is out of range for {}", d, withArticle(type)));
  return Value{static_cast<std::int64_t>(d)};
}

Result<Value> unsignedOf(const RecordValue::Number& number, const RecordContext& ctx) {
  constexpr double kLimit = 18446744073709551616.0;  // 2^64
  constexpr auto type = ResourceType::UnsignedInteger;
  if (const auto* u = std::get_if<std::uint64_t>(&number)) return Value{*u};
  if (const auto* i = std::get_if<std::int64_t>(&number)) {
    if (*i < 0) return ctx.fail(fmt::format("{} is out of range for {}", *i, withArticle(type)));
    return Value{static_cast<std::uint64_t>(*i)};
  }
  const double d = std::get<double>(number);
  if (!std::isfinite(d) || std::trunc(d) != d)
    return ctx.fail(fmt::format("{} is not {}", d, withArticle(type)));
  if (d < 0 || d >= kLimit)
    return ctx.fail(fmt::format("{} is out of range for {}", d, withArticle(type)));
  return Value{static_cast<std::uint64_t>(d)};
}

Result<Value> typeValue(const RecordValue& value, ResourceType type, const RecordContext& ctx) {
  using Kind = RecordValue::Kind;
  switch (type) {
    case ResourceType::String:
    case ResourceType::Corelnk:
      if (value.kind != Kind::String) return ctx.wrongKind(value, type);
      if (!isValidUtf8(value.text)) return ctx.fail("the string is not valid UTF-8");
      return Value{value.text};
    case ResourceType::Integer:
    case ResourceType::Time:
      if (value.kind != Kind::Number) return ctx.wrongKind(value, type);
      return integerOf(value.number, ctx, type);
    case ResourceType::UnsignedInteger:
      if (value.kind != Kind::Number) return ctx.wrongKind(value, type);
      return unsignedOf(value.number, ctx);
    case ResourceType::Float: {
      if (value.kind != Kind::Number) return ctx.wrongKind(value, type);
      // Non-finite values only come from SenML CBOR (JSON cannot spell them); an IEEE 754
      // Float may hold them, as in TLV and CBOR.
      return Value{std::visit([](auto v) { return static_cast<double>(v); }, value.number)};
    }
    case ResourceType::Boolean:
      if (value.kind != Kind::Boolean) return ctx.wrongKind(value, type);
      return Value{value.boolean};
    case ResourceType::Opaque:
      if (ctx.dialect.opaqueAsBase64String) {
        if (value.kind != Kind::String) return ctx.wrongKind(value, type);
        auto bytes = decodeBase64(value.text);
        if (!bytes)
          return ctx.fail(fmt::format("field '{}' is not base64 (RFC 4648 §4, with padding)",
                                      ctx.record.valueField));
        return Value{std::move(*bytes)};
      }
      if (value.kind != Kind::Data) return ctx.wrongKind(value, type);
      if (value.dataInText) {
        auto bytes = decodeBase64Url(value.text);
        if (!bytes)
          return ctx.fail(fmt::format("field '{}' is not base64url without padding (RFC 8428 §4.3)",
                                      ctx.record.valueField));
        return Value{std::move(*bytes)};
      }
      return Value{value.data};
    case ResourceType::Objlnk: {
      if (value.kind != Kind::Objlnk) return ctx.wrongKind(value, type);
      const auto colon = value.text.find(':');
      std::optional<std::uint16_t> oid;
      std::optional<std::uint16_t> iid;
      if (colon != std::string::npos) {
        oid = parseLinkId(std::string_view(value.text).substr(0, colon));
        iid = parseLinkId(std::string_view(value.text).substr(colon + 1));
      }
      if (!oid || !iid)
        return ctx.fail(fmt::format("field '{}' is not an object link \"oid:iid\" (0..65535)",
                                    ctx.record.valueField));
      return Value{Objlnk{*oid, *iid}};
    }
    case ResourceType::None:
      break;
  }
  return ctx.fail("the resource is executable and has no value");
}

/// What the records decode to, before it becomes a Content: instance → resource → data.
using Grouped = std::map<std::uint16_t, std::map<std::uint16_t, ResourceData>>;

Error unknownResource(const RecordDialect& dialect, std::string_view where) {
  return Error{CoapCode::NotFound,
               fmt::format("{}: resource {} is not known", dialect.format, where),
               ErrorKind::NotFound};
}

Status addRecord(Grouped& grouped, const Path& path, const RecordContext& ctx,
                 const ShapeLookup& shapes) {
  const Path& where = ctx.where;
  if (where.depth() < 3) return ctx.fail("the name is not a resource or resource instance");
  if (!path.contains(where))
    return ctx.fail(fmt::format("the name lies outside the request path {}", path.toString()));
  auto shape = shapes ? shapes(where.resourceId()) : std::nullopt;
  if (!shape)
    return Error{
        CoapCode::NotFound,
        fmt::format("{}: record {}: resource {} is not known", ctx.dialect.format, ctx.index,
                    Path(where.objectId(), where.instanceId(), where.resourceId()).toString()),
        ErrorKind::NotFound};
  if (shape->type == ResourceType::None)
    return ctx.fail("the resource is executable and has no value");
  if (where.depth() == 3 && shape->multiple)
    return ctx.fail("the resource is multiple; a record names one of its instances");
  if (where.depth() == 4 && !shape->multiple)
    return ctx.fail("the resource is single and has no instances");
  auto value = typeValue(*ctx.record.value, shape->type, ctx);
  if (!value) return value.error();

  auto& resources = grouped[where.instanceId()];
  auto [it, fresh] = resources.try_emplace(where.resourceId());
  ResourceData& resource = it->second;
  if (fresh) {
    resource.id = where.resourceId();
    resource.type = shape->type;
    resource.multiple = shape->multiple;
  }
  if (!shape->multiple) {
    if (!fresh) return ctx.fail("duplicate record for this resource");
    resource.value = std::move(*value);
    return {};
  }
  if (!resource.instances.emplace(where.resourceInstanceId(), std::move(*value)).second)
    return ctx.fail("duplicate record for this resource instance");
  return {};
}

/// The full name of a record (RFC 8428 §4.5.1: the base name in force plus the name) as an
/// LwM2M path; `baseName` carries the base name from one record to the next.
Result<Path> resolveName(std::string& baseName, const Record& record, std::size_t index,
                         const RecordDialect& dialect) {
  if (record.baseName) baseName = *record.baseName;
  const std::string name = baseName + record.name.value_or("");
  auto where = name.starts_with('/') ? Path::parse(name) : std::nullopt;
  if (!where)
    return badRequest(
        fmt::format("{}: record {}: name '{}' is not an LwM2M path", dialect.format, index, name));
  return *where;
}

}  // namespace

RecordValue RecordValue::ofNumber(Number n) {
  RecordValue v;
  v.kind = Kind::Number;
  v.number = n;
  return v;
}

RecordValue RecordValue::ofString(std::string s) {
  RecordValue v;
  v.kind = Kind::String;
  v.text = std::move(s);
  return v;
}

RecordValue RecordValue::ofBoolean(bool b) {
  RecordValue v;
  v.kind = Kind::Boolean;
  v.boolean = b;
  return v;
}

RecordValue RecordValue::ofData(Opaque d) {
  RecordValue v;
  v.kind = Kind::Data;
  v.data = std::move(d);
  return v;
}

RecordValue RecordValue::ofDataText(std::string base64url) {
  RecordValue v;
  v.kind = Kind::Data;
  v.text = std::move(base64url);
  v.dataInText = true;
  return v;
}

RecordValue RecordValue::ofObjlnk(std::string s) {
  RecordValue v;
  v.kind = Kind::Objlnk;
  v.text = std::move(s);
  return v;
}

Result<RecordPack> recordsFromContent(const Content& content, std::string_view format) {
  const Path& path = content.path;
  RecordPack pack;
  switch (path.depth()) {
    case 1:
      pack.baseName = path.toString() + "/";
      for (const auto& instance : content.instances) {
        if (instance.id == Path::kInvalidId)
          return internalError(format, "an instance without id cannot be named");
        const std::string prefix = std::to_string(instance.id) + "/";
        for (const auto& resource : instance.resources)
          if (auto status = appendResource(pack.records, prefix, resource,
                                           path.child(instance.id).child(resource.id), format);
              !status)
            return status.error();
      }
      return pack;
    case 2: {
      pack.baseName = path.toString() + "/";
      if (const auto* instance = findInstance(content))
        for (const auto& resource : instance->resources)
          if (auto status =
                  appendResource(pack.records, "", resource, path.child(resource.id), format);
              !status)
            return status.error();
      return pack;
    }
    case 3:
    case 4: {
      const ResourceData* resource = findResource(content);
      if (!resource) return internalError(format, fmt::format("no value for {}", path.toString()));
      if (path.depth() == 3 && resource->multiple) {
        pack.baseName = path.toString() + "/";
        for (const auto& [riid, value] : resource->instances)
          if (auto status = appendRecord(pack.records, std::to_string(riid), value, resource->type,
                                         path.child(riid), format);
              !status)
            return status.error();
        return pack;
      }
      pack.baseName = path.toString();
      const Value* value = nullptr;
      if (path.depth() == 3) {
        if (resource->value) value = &*resource->value;
      } else if (auto it = resource->instances.find(path.resourceInstanceId());
                 resource->multiple && it != resource->instances.end()) {
        value = &it->second;
      }
      if (!value) return internalError(format, fmt::format("no value for {}", path.toString()));
      if (auto status =
              appendRecord(pack.records, std::nullopt, *value, resource->type, path, format);
          !status)
        return status.error();
      return pack;
    }
    default:
      break;
  }
  return Error{CoapCode::NotAcceptable,
               fmt::format("{} needs at least an object in the path", format),
               ErrorKind::InvalidType};
}

Result<Content> contentFromRecords(const Path& path, const std::vector<Record>& records,
                                   const ShapeLookup& shapes, const RecordDialect& dialect) {
  if (path.depth() == 0)
    return badRequest(
        fmt::format("{}: a payload needs at least an object in the path", dialect.format));
  Grouped grouped;
  std::string baseName;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const Record& record = records[i];
    auto where = resolveName(baseName, record, i, dialect);
    if (!where) return where.error();
    const RecordContext ctx{dialect, i, record, *where};
    if (!record.value) return ctx.fail("the record has no value");
    if (auto status = addRecord(grouped, path, ctx, shapes); !status) return status.error();
  }

  // A request below the instance level names what it writes even when no record carries it:
  // an instance (all resources omitted), or a multiple resource (all instances removed).
  if (path.depth() >= 2) grouped.try_emplace(path.instanceId());
  if (path.depth() >= 3) {
    auto shape = shapes ? shapes(path.resourceId()) : std::nullopt;
    if (!shape) return unknownResource(dialect, path.toString());
    auto& resources = grouped[path.instanceId()];
    if (!resources.contains(path.resourceId())) {
      if (path.depth() == 4 || !shape->multiple || shape->type == ResourceType::None)
        return badRequest(fmt::format("{}: no record carries {}", dialect.format, path.toString()));
      ResourceData& resource = resources[path.resourceId()];
      resource.id = path.resourceId();
      resource.type = shape->type;
      resource.multiple = true;
    }
  }

  Content content;
  content.path = path;
  for (auto& [iid, resources] : grouped) {
    InstanceData instance;
    instance.id = iid;
    for (auto& [rid, resource] : resources) instance.resources.push_back(std::move(resource));
    content.instances.push_back(std::move(instance));
  }
  return content;
}

Result<std::vector<Path>> pathsFromRecords(const std::vector<Record>& records,
                                           const RecordDialect& dialect) {
  if (records.empty())
    return badRequest(fmt::format("{}: the pack lists no paths", dialect.format));
  std::vector<Path> paths;
  std::string baseName;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const Record& record = records[i];
    if (record.value)
      return badRequest(fmt::format("{}: record {}: a path list carries names only, not '{}'",
                                    dialect.format, i, record.valueField));
    if (record.baseName) baseName = *record.baseName;
    std::string name = baseName + record.name.value_or("");
    // "/3/0/" (a base name used alone) names /3/0; "/" alone is the root.
    if (name.size() > 1 && name.back() == '/') name.pop_back();
    auto where = name.starts_with('/') ? Path::parse(name) : std::nullopt;
    if (!where)
      return badRequest(
          fmt::format("{}: record {}: name '{}' is not an LwM2M path", dialect.format, i, name));
    paths.push_back(*where);
  }
  return paths;
}

Result<std::vector<Content>> compositeFromRecords(const std::vector<Record>& records,
                                                  const ObjectShapes& shapesFor,
                                                  const RecordDialect& dialect) {
  if (records.empty())
    return badRequest(fmt::format("{}: the pack carries no values", dialect.format));
  std::map<std::uint16_t, Grouped> objects;
  std::map<std::uint16_t, ShapeLookup> shapes;
  std::string baseName;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const Record& record = records[i];
    auto where = resolveName(baseName, record, i, dialect);
    if (!where) return where.error();
    const RecordContext ctx{dialect, i, record, *where};
    if (where->depth() < 3) return ctx.fail("the name is not a resource or resource instance");
    if (!record.value) return ctx.fail("the record has no value");
    const std::uint16_t oid = where->objectId();
    auto known = shapes.find(oid);
    if (known == shapes.end())
      known = shapes.emplace(oid, shapesFor ? shapesFor(oid) : ShapeLookup{}).first;
    if (!known->second)
      return Error{CoapCode::NotFound,
                   fmt::format("{}: record {}: object {} is not supported", dialect.format, i, oid),
                   ErrorKind::UnknownObject};
    if (auto status = addRecord(objects[oid], Path(oid), ctx, known->second); !status)
      return status.error();
  }
  std::vector<Content> out;
  for (auto& [oid, grouped] : objects) {
    Content content;
    content.path = Path(oid);
    for (auto& [iid, resources] : grouped) {
      InstanceData instance;
      instance.id = iid;
      for (auto& [rid, resource] : resources) instance.resources.push_back(std::move(resource));
      content.instances.push_back(std::move(instance));
    }
    out.push_back(std::move(content));
  }
  return out;
}

}  // namespace lwm2md
