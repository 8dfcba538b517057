#include <cstdio>
#include <lwm2md/provider.hpp>

namespace lwm2md::provider {

namespace {

template <typename T, typename Variant>
std::optional<T> pick(const Variant& v) {
  if (const T* p = std::get_if<T>(&v)) return *p;
  return std::nullopt;
}

const Value::Instances& noInstances() {
  static const Value::Instances empty;
  return empty;
}

}  // namespace

Value Value::string(std::string value) {
  return {Type::String, std::move(value)};
}
Value Value::integer(std::int64_t value) {
  return {Type::Integer, value};
}
Value Value::unsignedInteger(std::uint64_t value) {
  return {Type::UnsignedInteger, value};
}
Value Value::floating(double value) {
  return {Type::Float, value};
}
Value Value::boolean(bool value) {
  return {Type::Boolean, value};
}
Value Value::opaque(std::vector<std::uint8_t> value) {
  return {Type::Opaque, std::move(value)};
}
Value Value::objlnk(std::uint16_t objectId, std::uint16_t instanceId) {
  return {Type::Objlnk, Objlnk{objectId, instanceId}};
}
Value Value::multiple(Instances instances) {
  Value value(Type::Multiple, std::string());
  value.instances_ = std::make_shared<const Instances>(std::move(instances));
  return value;
}

std::optional<std::string> Value::asString() const {
  return type_ == Type::String ? pick<std::string>(scalar_) : std::nullopt;
}
std::optional<std::int64_t> Value::asInteger() const {
  return pick<std::int64_t>(scalar_);
}
std::optional<std::uint64_t> Value::asUnsignedInteger() const {
  return pick<std::uint64_t>(scalar_);
}
std::optional<double> Value::asFloat() const {
  return pick<double>(scalar_);
}
std::optional<bool> Value::asBoolean() const {
  return pick<bool>(scalar_);
}
std::optional<std::vector<std::uint8_t>> Value::asOpaque() const {
  return pick<std::vector<std::uint8_t>>(scalar_);
}
std::optional<Objlnk> Value::asObjlnk() const {
  return pick<Objlnk>(scalar_);
}
const Value::Instances& Value::instances() const {
  return instances_ ? *instances_ : noInstances();
}

std::string Value::toString() const {
  switch (type_) {
    case Type::String:
      return "\"" + std::get<std::string>(scalar_) + "\"";
    case Type::Integer:
      return std::to_string(std::get<std::int64_t>(scalar_));
    case Type::UnsignedInteger:
      return std::to_string(std::get<std::uint64_t>(scalar_));
    case Type::Float: {
      char buffer[32];
      std::snprintf(buffer, sizeof(buffer), "%.15g", std::get<double>(scalar_));
      return buffer;
    }
    case Type::Boolean:
      return std::get<bool>(scalar_) ? "true" : "false";
    case Type::Opaque: {
      std::string out = "0x";
      static const char* digits = "0123456789abcdef";
      for (std::uint8_t b : std::get<std::vector<std::uint8_t>>(scalar_)) {
        out += digits[b >> 4];
        out += digits[b & 0xf];
      }
      return out;
    }
    case Type::Objlnk: {
      const auto& link = std::get<Objlnk>(scalar_);
      return std::to_string(link.objectId) + ":" + std::to_string(link.instanceId);
    }
    case Type::Multiple: {
      std::string out = "{";
      for (const auto& [id, value] : instances()) {
        if (out.size() > 1) out += ", ";
        out += std::to_string(id) + "=" + value.toString();
      }
      return out + "}";
    }
  }
  return {};
}

bool Value::operator==(const Value& other) const {
  if (type_ != other.type_) return false;
  if (type_ == Type::Multiple) return instances() == other.instances();
  return scalar_ == other.scalar_;
}

}  // namespace lwm2md::provider
