#include "io/senml_json_format.hpp"

#include <fmt/format.h>

#include <cmath>

#include "io/base64url.hpp"
#include "io/json_support.hpp"
#include "io/senml_records.hpp"

namespace lwm2md {

namespace {

constexpr std::string_view kFormat = "SenML JSON";

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
      out["vs"] = value.text;
      return {};
    case RecordValue::Kind::Boolean:
      out["vb"] = value.boolean;
      return {};
    case RecordValue::Kind::Data:
      out["vd"] = encodeBase64Url(value.data);
      return {};
    case RecordValue::Kind::Objlnk:
      out["vlo"] = value.text;
      return {};
  }
  return {};
}

// ---- decoding ---------------------------------------------------------------------------

class RecordReader {
 public:
  RecordReader(std::size_t index, Record& record) : index_(index), record_(record) {}

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

  static RecordValue::Number numberOf(const nlohmann::json& value) {
    if (value.is_number_unsigned()) return value.get<std::uint64_t>();
    if (value.is_number_integer()) return value.get<std::int64_t>();
    return value.get<double>();
  }

  Status field(const std::string& key, const nlohmann::json& value) {
    if (key == "bn" || key == "n") {
      if (!value.is_string()) return wrongType(key, value, "a string");
      (key == "bn" ? record_.baseName : record_.name) = value.get<std::string>();
      return {};
    }
    if (key == "v") {
      if (!value.is_number()) return wrongType(key, value, "a number");
      return setValue(key, RecordValue::ofNumber(numberOf(value)));
    }
    if (key == "vs" || key == "vlo") {
      if (!value.is_string()) return wrongType(key, value, "a string");
      return setValue(key, key == "vs" ? RecordValue::ofString(value.get<std::string>())
                                       : RecordValue::ofObjlnk(value.get<std::string>()));
    }
    if (key == "vb") {
      if (!value.is_boolean()) return wrongType(key, value, "a boolean");
      return setValue(key, RecordValue::ofBoolean(value.get<bool>()));
    }
    if (key == "vd") {
      if (!value.is_string()) return wrongType(key, value, "a string");
      return setValue(key, RecordValue::ofDataText(value.get<std::string>()));
    }
    if (key == "bt" || key == "t" || key == "ut" || key == "bver") {
      if (!value.is_number()) return wrongType(key, value, "a number");
      return {};  // times and the version are accepted and ignored
    }
    if (key == "bu" || key == "u") {
      if (!value.is_string()) return wrongType(key, value, "a string");
      return {};
    }
    if (key == "bv" || key == "bs" || key == "s")
      return fail(fmt::format("field '{}' is not supported by LwM2M", key));
    if (key.ends_with('_'))
      return fail(fmt::format("field '{}' must be understood (RFC 8428 §4.4) and is not", key));
    return {};  // unknown fields are ignored (RFC 8428 §4.4)
  }

  std::size_t index_;
  Record& record_;
};

}  // namespace

Result<std::vector<std::uint8_t>> encodeSenmlJsonPacks(const std::vector<RecordPack>& packs) {
  auto out = nlohmann::ordered_json::array();
  for (const RecordPack& pack : packs) {
    bool first = true;
    for (const Record& record : pack.records) {
      nlohmann::ordered_json object = nlohmann::ordered_json::object();
      if (first) object["bn"] = pack.baseName;
      first = false;
      if (record.name) object["n"] = *record.name;
      if (record.value)
        if (auto status = putValue(object, *record.value); !status) return status.error();
      out.push_back(std::move(object));
    }
  }
  return dumpJson(out, kFormat);
}

Result<std::vector<std::uint8_t>> encodeSenmlJson(const Content& content) {
  auto pack = recordsFromContent(content, kFormat);
  if (!pack) return pack.error();
  return encodeSenmlJsonPacks({std::move(*pack)});
}

Result<std::vector<Record>> parseSenmlJsonRecords(std::span<const std::uint8_t> payload) {
  auto json = parseJson(payload, kFormat, 1);
  if (!json) return json.error();
  if (!json->is_array())
    return badRequest(
        fmt::format("{}: the payload is {}, not an array of records", kFormat, json->type_name()));
  std::vector<Record> records(json->size());
  for (std::size_t i = 0; i < records.size(); ++i)
    if (auto status = RecordReader(i, records[i]).read((*json)[i]); !status) return status.error();
  return records;
}

Result<Content> decodeSenmlJson(const Path& path, std::span<const std::uint8_t> payload,
                                const ShapeLookup& shapes) {
  auto records = parseSenmlJsonRecords(payload);
  if (!records) return records.error();
  return contentFromRecords(path, *records, shapes, RecordDialect{kFormat, false});
}

}  // namespace lwm2md
