#include "io/lwm2m_json_format.hpp"

#include <fmt/format.h>

#include <cmath>

#include "io/base64.hpp"
#include "io/json_support.hpp"
#include "io/senml_records.hpp"

namespace lwm2md {

namespace {

constexpr std::string_view kFormat = "LwM2M JSON";

// ---- encoding ---------------------------------------------------------------------------

Status putValue(nlohmann::ordered_json& out, const RecordValue& value) {
  switch (value.kind) {
    case RecordValue::Kind::Number:
      if (const auto* i = std::get_if<std::int64_t>(&value.number)) {
        out["v"] = *i;
      } else if (const auto* u = std::get_if<std::uint64_t>(&value.number)) {
        out["v"] = *u;
      } else {
        const double d = std::get<double>(value.number);
        if (!std::isfinite(d))
          return Error{CoapCode::NotAcceptable,
                       fmt::format("{} cannot represent the Float {}", kFormat, d),
                       ErrorKind::InvalidValue};
        out["v"] = d;
      }
      return {};
    case RecordValue::Kind::String:
      out["sv"] = value.text;
      return {};
    case RecordValue::Kind::Boolean:
      out["bv"] = value.boolean;
      return {};
    case RecordValue::Kind::Data:
      out["sv"] = encodeBase64(value.data);
      return {};
    case RecordValue::Kind::Objlnk:
      out["ov"] = value.text;
      return {};
  }
  return {};
}

// ---- decoding ---------------------------------------------------------------------------

class EntryReader {
 public:
  EntryReader(std::size_t index, Record& record) : index_(index), record_(record) {}

  Error fail(std::string what) const {
    return badRequest(fmt::format("{}: record {}: {}", kFormat, index_, what));
  }

  Status read(const nlohmann::json& object) {
    if (!object.is_object()) return fail(fmt::format("is {}, not an object", object.type_name()));
    for (const auto& [key, value] : object.items())
      if (auto status = field(key, value); !status) return status;
    return {};
  }

 private:
  Status setValue(const std::string& key, RecordValue value) {
    if (record_.value)
      return fail(
          fmt::format("more than one value field ('{}' and '{}')", record_.valueField, key));
    record_.value = std::move(value);
    record_.valueField = key;
    return {};
  }

  Error wrongType(const std::string& key, const nlohmann::json& value,
                  std::string_view expected) const {
    return fail(fmt::format("field '{}' must be {}, not {}", key, expected, value.type_name()));
  }

  Status field(const std::string& key, const nlohmann::json& value) {
    if (key == "n") {
      if (!value.is_string()) return wrongType(key, value, "a string");
      record_.name = value.get<std::string>();
      return {};
    }
    if (key == "v") {
      if (!value.is_number()) return wrongType(key, value, "a number");
      if (value.is_number_unsigned())
        return setValue(key, RecordValue::ofNumber(value.get<std::uint64_t>()));
      if (value.is_number_integer())
        return setValue(key, RecordValue::ofNumber(value.get<std::int64_t>()));
      return setValue(key, RecordValue::ofNumber(value.get<double>()));
    }
    if (key == "sv" || key == "ov") {
      if (!value.is_string()) return wrongType(key, value, "a string");
      return setValue(key, key == "sv" ? RecordValue::ofString(value.get<std::string>())
                                       : RecordValue::ofObjlnk(value.get<std::string>()));
    }
    if (key == "bv") {
      if (!value.is_boolean()) return wrongType(key, value, "a boolean");
      return setValue(key, RecordValue::ofBoolean(value.get<bool>()));
    }
    if (key == "t") {
      if (!value.is_number()) return wrongType(key, value, "a number");
      return {};  // a Write has no use for time
    }
    return {};
  }

  std::size_t index_;
  Record& record_;
};

}  // namespace

Result<std::vector<std::uint8_t>> encodeLwm2mJson(const Content& content) {
  auto pack = recordsFromContent(content, kFormat);
  if (!pack) return pack.error();
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  out["bn"] = pack->baseName;
  auto entries = nlohmann::ordered_json::array();
  for (const Record& record : pack->records) {
    nlohmann::ordered_json entry = nlohmann::ordered_json::object();
    if (record.name) entry["n"] = *record.name;
    if (record.value)
      if (auto status = putValue(entry, *record.value); !status) return status.error();
    entries.push_back(std::move(entry));
  }
  out["e"] = std::move(entries);
  return dumpJson(out, kFormat);
}

Result<Content> decodeLwm2mJson(const Path& path, std::span<const std::uint8_t> payload,
                                const ShapeLookup& shapes) {
  auto json = parseJson(payload, kFormat, 2);
  if (!json) return json.error();
  if (!json->is_object())
    return badRequest(
        fmt::format("{}: the payload is {}, not an object", kFormat, json->type_name()));
  std::optional<std::string> baseName;
  if (auto it = json->find("bn"); it != json->end()) {
    if (!it->is_string())
      return badRequest(
          fmt::format("{}: field 'bn' must be a string, not {}", kFormat, it->type_name()));
    baseName = it->get<std::string>();
  }
  if (auto it = json->find("bt"); it != json->end() && !it->is_number())
    return badRequest(
        fmt::format("{}: field 'bt' must be a number, not {}", kFormat, it->type_name()));
  const auto entries = json->find("e");
  if (entries == json->end()) return badRequest(fmt::format("{}: field 'e' is missing", kFormat));
  if (!entries->is_array())
    return badRequest(
        fmt::format("{}: field 'e' must be an array, not {}", kFormat, entries->type_name()));
  std::vector<Record> records(entries->size());
  for (std::size_t i = 0; i < records.size(); ++i)
    if (auto status = EntryReader(i, records[i]).read((*entries)[i]); !status)
      return status.error();
  if (!records.empty()) records.front().baseName = baseName;
  return contentFromRecords(path, records, shapes, RecordDialect{kFormat, true});
}

}  // namespace lwm2md
