#include "io/senml_cbor_format.hpp"

#include <fmt/format.h>

#include <set>
#include <variant>

#include "io/cbor.hpp"
#include "io/senml_records.hpp"

namespace lwm2md {

namespace {

constexpr std::string_view kFormat = "SenML CBOR";

// RFC 8428 §6, Table 6: the integer labels of the fields LwM2M uses or must recognise.
constexpr std::int64_t kBaseVersion = -1;
constexpr std::int64_t kBaseName = -2;
constexpr std::int64_t kBaseTime = -3;
constexpr std::int64_t kBaseUnit = -4;
constexpr std::int64_t kBaseValue = -5;
constexpr std::int64_t kBaseSum = -6;
constexpr std::int64_t kName = 0;
constexpr std::int64_t kUnit = 1;
constexpr std::int64_t kValue = 2;
constexpr std::int64_t kStringValue = 3;
constexpr std::int64_t kBooleanValue = 4;
constexpr std::int64_t kSum = 5;
constexpr std::int64_t kTime = 6;
constexpr std::int64_t kUpdateTime = 7;
constexpr std::int64_t kDataValue = 8;
constexpr std::string_view kObjlnkLabel = "vlo";  // LwM2M 1.1 TS §7.4.6: a text key

std::string_view labelName(std::int64_t label) {
  switch (label) {
    case kBaseVersion:
      return "bver";
    case kBaseName:
      return "bn";
    case kBaseTime:
      return "bt";
    case kBaseUnit:
      return "bu";
    case kBaseValue:
      return "bv";
    case kBaseSum:
      return "bs";
    case kName:
      return "n";
    case kUnit:
      return "u";
    case kValue:
      return "v";
    case kStringValue:
      return "vs";
    case kBooleanValue:
      return "vb";
    case kSum:
      return "s";
    case kTime:
      return "t";
    case kUpdateTime:
      return "ut";
    case kDataValue:
      return "vd";
    default:
      break;
  }
  return "?";
}

// ---- encoding ---------------------------------------------------------------------------

void writeValue(CborWriter& out, const RecordValue& value) {
  switch (value.kind) {
    case RecordValue::Kind::Number:
      out.integer(kValue);
      if (const auto* i = std::get_if<std::int64_t>(&value.number))
        out.integer(*i);
      else if (const auto* u = std::get_if<std::uint64_t>(&value.number))
        out.unsignedInteger(*u);
      else
        out.floating(std::get<double>(value.number));
      return;
    case RecordValue::Kind::String:
      out.integer(kStringValue);
      out.text(value.text);
      return;
    case RecordValue::Kind::Boolean:
      out.integer(kBooleanValue);
      out.boolean(value.boolean);
      return;
    case RecordValue::Kind::Data:
      out.integer(kDataValue);
      out.bytes(value.data);
      return;
    case RecordValue::Kind::Objlnk:
      out.text(kObjlnkLabel);
      out.text(value.text);
      return;
  }
}

// ---- decoding ---------------------------------------------------------------------------

using Label = std::variant<std::int64_t, std::string>;

std::string describeLabel(const Label& label) {
  if (const auto* i = std::get_if<std::int64_t>(&label))
    return fmt::format("'{}' ({})", labelName(*i), *i);
  return fmt::format("'{}'", std::get<std::string>(label));
}

class RecordReader {
 public:
  RecordReader(std::size_t index, Record& record) : index_(index), record_(record) {}

  Error fail(std::string what) const {
    return badRequest(fmt::format("{}: record {}: {}", kFormat, index_, what));
  }

  Status read(const CborItem& map) {
    if (map.type != CborItem::Type::Map)
      return fail(fmt::format("is not a map (byte {})", map.offset));
    std::set<Label> seen;
    for (std::size_t i = 0; i + 1 < map.items.size(); i += 2) {
      const CborItem& key = map.items[i];
      const CborItem& value = map.items[i + 1];
      Label label;
      constexpr auto kMax = static_cast<std::uint64_t>(INT64_MAX);
      if (key.type == CborItem::Type::Unsigned && key.number <= kMax)
        label = static_cast<std::int64_t>(key.number);
      else if (key.type == CborItem::Type::Negative && key.number <= kMax)
        label = -1 - static_cast<std::int64_t>(key.number);
      else if (key.type == CborItem::Type::Text)
        label = key.text;
      else if (key.type == CborItem::Type::Unsigned || key.type == CborItem::Type::Negative)
        continue;  // an integer label far outside the registry: unknown, so ignored
      else
        return fail(
            fmt::format("key at byte {} is neither an integer nor a text label", key.offset));
      if (!seen.insert(label).second)
        return fail(fmt::format("duplicate field {}", describeLabel(label)));
      if (auto status = field(label, value); !status) return status;
    }
    return {};
  }

 private:
  Status setValue(const Label& label, RecordValue value) {
    const std::string field = std::holds_alternative<std::int64_t>(label)
                                  ? std::string(labelName(std::get<std::int64_t>(label)))
                                  : std::get<std::string>(label);
    if (record_.value)
      return fail(
          fmt::format("more than one value field ('{}' and '{}')", record_.valueField, field));
    record_.value = std::move(value);
    record_.valueField = field;
    return {};
  }

  Error wrongType(const Label& label, const CborItem& value, std::string_view expected) const {
    return fail(fmt::format("field {} at byte {} must be {}", describeLabel(label), value.offset,
                            expected));
  }

  static bool isNumber(const CborItem& item) {
    return item.type == CborItem::Type::Unsigned || item.type == CborItem::Type::Negative ||
           item.type == CborItem::Type::Float;
  }

  static RecordValue::Number numberOf(const CborItem& item) {
    if (item.type == CborItem::Type::Unsigned) return item.number;
    if (item.type == CborItem::Type::Negative) {
      // -1 - n: below INT64_MIN only a Float can hold it.
      if (item.number <= static_cast<std::uint64_t>(INT64_MAX))
        return -1 - static_cast<std::int64_t>(item.number);
      return -1.0 - static_cast<double>(item.number);
    }
    return item.real;
  }

  Status field(const Label& label, const CborItem& value) {
    if (const auto* text = std::get_if<std::string>(&label)) {
      if (*text == kObjlnkLabel) {
        if (value.type != CborItem::Type::Text) return wrongType(label, value, "a text string");
        return setValue(label, RecordValue::ofObjlnk(value.text));
      }
      if (!text->empty() && text->back() == '_')
        return fail(fmt::format("field '{}' must be understood (RFC 8428 §4.4) and is not", *text));
      return {};  // an unknown extension label
    }
    switch (std::get<std::int64_t>(label)) {
      case kBaseName:
        if (value.type != CborItem::Type::Text) return wrongType(label, value, "a text string");
        record_.baseName = value.text;
        return {};
      case kName:
        if (value.type != CborItem::Type::Text) return wrongType(label, value, "a text string");
        record_.name = value.text;
        return {};
      case kValue:
        if (!isNumber(value)) return wrongType(label, value, "a number");
        return setValue(label, RecordValue::ofNumber(numberOf(value)));
      case kStringValue:
        if (value.type != CborItem::Type::Text) return wrongType(label, value, "a text string");
        return setValue(label, RecordValue::ofString(value.text));
      case kBooleanValue:
        if (value.type != CborItem::Type::True && value.type != CborItem::Type::False)
          return wrongType(label, value, "true or false");
        return setValue(label, RecordValue::ofBoolean(value.type == CborItem::Type::True));
      case kDataValue:
        if (value.type != CborItem::Type::Bytes) return wrongType(label, value, "a byte string");
        return setValue(label, RecordValue::ofData(value.bytes));
      case kBaseTime:
      case kTime:
      case kUpdateTime:
      case kBaseVersion:
        if (!isNumber(value)) return wrongType(label, value, "a number");
        return {};  // times and the version are accepted and ignored
      case kBaseUnit:
      case kUnit:
        if (value.type != CborItem::Type::Text) return wrongType(label, value, "a text string");
        return {};
      case kBaseValue:
      case kBaseSum:
      case kSum:
        return fail(fmt::format("field {} is not supported by LwM2M", describeLabel(label)));
      default:
        return {};  // unknown labels are ignored (RFC 8428 §4.4)
    }
  }

  std::size_t index_;
  Record& record_;
};

}  // namespace

Result<std::vector<std::uint8_t>> encodeSenmlCborPacks(const std::vector<RecordPack>& packs) {
  std::size_t count = 0;
  for (const RecordPack& pack : packs) count += pack.records.size();
  CborWriter out;
  out.arrayHeader(count);
  for (const RecordPack& pack : packs) {
    for (std::size_t i = 0; i < pack.records.size(); ++i) {
      const Record& record = pack.records[i];
      const bool first = i == 0;
      out.mapHeader((first ? 1u : 0u) + (record.name ? 1u : 0u) + (record.value ? 1u : 0u));
      if (first) {
        out.integer(kBaseName);
        out.text(pack.baseName);
      }
      if (record.name) {
        out.integer(kName);
        out.text(*record.name);
      }
      if (record.value) writeValue(out, *record.value);
    }
  }
  return out.take();
}

Result<std::vector<std::uint8_t>> encodeSenmlCbor(const Content& content) {
  auto pack = recordsFromContent(content, kFormat);
  if (!pack) return pack.error();
  return encodeSenmlCborPacks({std::move(*pack)});
}

Result<std::vector<Record>> parseSenmlCborRecords(std::span<const std::uint8_t> payload) {
  auto root = parseCbor(payload, kFormat);
  if (!root) return root.error();
  if (root->type != CborItem::Type::Array)
    return badRequest(fmt::format("{}: the payload is not an array of records", kFormat));
  std::vector<Record> records(root->items.size());
  for (std::size_t i = 0; i < records.size(); ++i)
    if (auto status = RecordReader(i, records[i]).read(root->items[i]); !status)
      return status.error();
  return records;
}

Result<Content> decodeSenmlCbor(const Path& path, std::span<const std::uint8_t> payload,
                                const ShapeLookup& shapes) {
  auto records = parseSenmlCborRecords(payload);
  if (!records) return records.error();
  return contentFromRecords(path, *records, shapes, RecordDialect{kFormat, false});
}

}  // namespace lwm2md
