#include "io/cbor_format.hpp"

#include <fmt/format.h>

#include <cmath>

#include "io/cbor.hpp"
#include "io/single_value.hpp"
#include "io/text_format.hpp"

namespace lwm2md {

namespace {

constexpr std::string_view kFormat = "application/cbor";
// RFC 8949 §3.4.2: tag 1 marks an epoch-based date/time; the initial byte of tag 1 is 0xC1.
constexpr std::uint8_t kEpochTag = 0xC1;

std::string_view itemName(CborItem::Type type) {
  switch (type) {
    case CborItem::Type::Unsigned:
      return "an unsigned integer";
    case CborItem::Type::Negative:
      return "a negative integer";
    case CborItem::Type::Bytes:
      return "a byte string";
    case CborItem::Type::Text:
      return "a text string";
    case CborItem::Type::Array:
      return "an array";
    case CborItem::Type::Map:
      return "a map";
    case CborItem::Type::False:
    case CborItem::Type::True:
      return "a boolean";
    case CborItem::Type::Null:
      return "null";
    case CborItem::Type::Undefined:
      return "undefined";
    case CborItem::Type::Float:
      return "a float";
  }
  return "an item";
}

class ValueReader {
 public:
  ValueReader(const Path& path, ResourceType type) : path_(path), type_(type) {}

  Result<Value> read(const CborItem& item) const {
    using T = CborItem::Type;
    switch (type_) {
      case ResourceType::String:
      case ResourceType::Corelnk:
        if (item.type != T::Text) return wrong(item, "a text string");
        return Value{item.text};  // parseCbor already checked the UTF-8
      case ResourceType::Integer:
      case ResourceType::Time:
        if (item.type != T::Unsigned && item.type != T::Negative) return wrong(item, "an integer");
        if (item.number > static_cast<std::uint64_t>(INT64_MAX)) return outOfRange(item);
        if (item.type == T::Unsigned) return Value{static_cast<std::int64_t>(item.number)};
        return Value{-1 - static_cast<std::int64_t>(item.number)};
      case ResourceType::UnsignedInteger:
        if (item.type == T::Negative) return outOfRange(item);
        if (item.type != T::Unsigned) return wrong(item, "an unsigned integer");
        return Value{item.number};
      case ResourceType::Float:
        if (item.type == T::Unsigned) return Value{static_cast<double>(item.number)};
        if (item.type == T::Negative) return Value{-1.0 - static_cast<double>(item.number)};
        if (item.type != T::Float) return wrong(item, "a float");
        // A NaN or infinity is an IEEE 754 value like any other; CBOR and TLV carry it both
        // ways (a TLV write of one read back in CBOR failed to decode, found by fuzzing).
        // Only the text formats, which cannot spell it, refuse it.
        return Value{item.real};
      case ResourceType::Boolean:
        if (item.type != T::True && item.type != T::False) return wrong(item, "true or false");
        return Value{item.type == T::True};
      case ResourceType::Opaque:
        if (item.type != T::Bytes) return wrong(item, "a byte string");
        return Value{item.bytes};
      case ResourceType::Objlnk: {
        if (item.type != T::Text) return wrong(item, "a text string \"oid:iid\"");
        auto link = parseTextValue(item.text, ResourceType::Objlnk, path_);
        if (!link) return fail("the text string is not an object link \"oid:iid\" (0..65535)");
        return link;
      }
      case ResourceType::None:
        break;
    }
    return fail("the resource is executable and has no value");
  }

 private:
  Error fail(std::string what) const {
    return badRequest(fmt::format("{}: {}: {}", kFormat, path_.toString(), what));
  }
  Error wrong(const CborItem& item, std::string_view expected) const {
    return fail(fmt::format("the payload is {}, but {} ({}) needs {}", itemName(item.type),
                            path_.toString(), toString(type_), expected));
  }
  Error outOfRange(const CborItem& item) const {
    const std::string shown = item.type == CborItem::Type::Negative
                                  ? fmt::format("-1-{}", item.number)
                                  : fmt::format("{}", item.number);
    return fail(fmt::format("{} is out of range for {}", shown, toString(type_)));
  }

  const Path& path_;
  ResourceType type_;
};

}  // namespace

Result<std::vector<std::uint8_t>> encodeCborValue(const Content& content) {
  auto found = findSingleValue(content, kFormat);
  if (!found) return found.error();
  const Value& value = *found->value;
  CborWriter out;
  switch (found->type) {
    case ResourceType::String:
    case ResourceType::Corelnk:
      out.text(std::get<std::string>(value));
      break;
    case ResourceType::Integer:
    case ResourceType::Time:
      out.integer(std::get<std::int64_t>(value));
      break;
    case ResourceType::UnsignedInteger:
      out.unsignedInteger(std::get<std::uint64_t>(value));
      break;
    case ResourceType::Float:
      out.floating(std::get<double>(value));
      break;
    case ResourceType::Boolean:
      out.boolean(std::get<bool>(value));
      break;
    case ResourceType::Opaque:
      out.bytes(std::get<Opaque>(value));
      break;
    case ResourceType::Objlnk: {
      const auto& link = std::get<Objlnk>(value);
      out.text(fmt::format("{}:{}", link.objectId, link.instanceId));
      break;
    }
    case ResourceType::None:
      return Error{
          CoapCode::InternalServerError,
          fmt::format("{}: {} is executable and has no value", kFormat, content.path.toString()),
          ErrorKind::InvalidType};
  }
  return out.take();
}

Result<Content> decodeCborValue(const Path& path, std::span<const std::uint8_t> payload,
                                const ShapeLookup& shapes) {
  auto shape = singleValueShape(path, shapes, kFormat);
  if (!shape) return shape.error();
  // The one tag a value may carry: an epoch time. parseCbor refuses every tag, so it is
  // taken off here.
  if (shape->type == ResourceType::Time && !payload.empty() && payload.front() == kEpochTag)
    payload = payload.subspan(1);
  auto item = parseCbor(payload, kFormat);
  if (!item) return item.error();
  auto value = ValueReader(path, shape->type).read(*item);
  if (!value) return value.error();
  return singleValueContent(path, *shape, std::move(*value));
}

}  // namespace lwm2md
