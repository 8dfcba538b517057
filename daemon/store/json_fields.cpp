#include "store/json_fields.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "io/base64.hpp"
#include "io/utf8.hpp"

namespace lwm2md::state_json {

Error stateError(std::string message) {
  return Error{CoapCode::InternalServerError, std::move(message), ErrorKind::InvalidValue};
}

Error at(const std::string& where, const std::string& what) {
  return stateError(where + ": " + what);
}

std::string printable(std::string_view text, std::size_t limit) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size() && i < limit; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0x0F];
    }
  }
  if (text.size() > limit) out += "...";
  return out + "\"";
}

std::span<const std::uint8_t> bytesOf(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

Json encodeText(const std::string& text) {
  if (isValidUtf8(text)) return Json(text);
  Json object = Json::object();
  object["base64"] = encodeBase64(bytesOf(text));
  return object;
}

Json encodeFloat(double value) {
  if (std::isnan(value)) return Json("NaN");
  if (std::isinf(value)) return Json(value > 0 ? "Infinity" : "-Infinity");
  return Json(value);
}

const Json* member(const Json& object, std::string_view key) {
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

Status expectObject(const Json& j, const std::string& where,
                    std::initializer_list<std::string_view> known) {
  if (!j.is_object()) return at(where, std::string("expected an object, found ") + j.type_name());
  for (auto it = j.begin(); it != j.end(); ++it)
    if (std::find(known.begin(), known.end(), it.key()) == known.end())
      return at(where, "unknown member " + printable(it.key()));
  return {};
}

Result<const Json*> required(const Json& object, std::string_view key, const std::string& where) {
  const Json* found = member(object, key);
  if (found == nullptr) return at(where, "missing member " + printable(key));
  return found;
}

Result<std::uint64_t> decodeUnsigned(const Json& j, const std::string& where, std::uint64_t max) {
  if (!j.is_number_unsigned()) return at(where, "expected an unsigned integer");
  const auto value = j.get<std::uint64_t>();
  if (value > max)
    return at(where, std::to_string(value) + " is out of range (0.." + std::to_string(max) + ")");
  return value;
}

Result<std::uint16_t> decodeId(const Json& j, const std::string& where) {
  auto value = decodeUnsigned(j, where, std::numeric_limits<std::uint16_t>::max());
  if (!value) return value.error();
  return static_cast<std::uint16_t>(*value);
}

Result<std::uint32_t> decodeU32(const Json& j, const std::string& where) {
  auto value = decodeUnsigned(j, where, std::numeric_limits<std::uint32_t>::max());
  if (!value) return value.error();
  return static_cast<std::uint32_t>(*value);
}

Result<std::int64_t> decodeSigned(const Json& j, const std::string& where) {
  if (j.is_number_unsigned()) {
    const auto value = j.get<std::uint64_t>();
    if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      return at(where, std::to_string(value) + " is out of the 64-bit signed range");
    return static_cast<std::int64_t>(value);
  }
  if (!j.is_number_integer()) return at(where, "expected an integer");
  return j.get<std::int64_t>();
}

Result<double> decodeFloat(const Json& j, const std::string& where) {
  if (j.is_number()) return j.get<double>();
  if (j.is_string()) {
    const auto& text = j.get_ref<const std::string&>();
    if (text == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (text == "Infinity") return std::numeric_limits<double>::infinity();
    if (text == "-Infinity") return -std::numeric_limits<double>::infinity();
  }
  return at(where, "expected a number, \"NaN\", \"Infinity\" or \"-Infinity\"");
}

Result<bool> decodeBool(const Json& j, const std::string& where) {
  if (!j.is_boolean()) return at(where, "expected true or false");
  return j.get<bool>();
}

Result<Opaque> decodeBytes(const Json& j, const std::string& where) {
  if (!j.is_string()) return at(where, "expected a base64 string");
  auto bytes = decodeBase64(j.get_ref<const std::string&>());
  if (!bytes) return at(where, "not valid base64 (RFC 4648, padded)");
  return std::move(*bytes);
}

Result<std::string> decodeText(const Json& j, const std::string& where) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_object() && j.size() == 1 && member(j, "base64") != nullptr) {
    auto bytes = decodeBytes(*member(j, "base64"), where + ".base64");
    if (!bytes) return bytes.error();
    return std::string(bytes->begin(), bytes->end());
  }
  return at(where, "expected a string or {\"base64\": ...}");
}

}  // namespace lwm2md::state_json
