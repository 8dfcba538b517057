#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "model/content.hpp"
#include "model/result.hpp"

namespace lwm2md {

/// The record model shared by SenML JSON (110), SenML CBOR (112) and OMA LwM2M JSON (11543):
/// each format only parses or prints its syntax; the rules of RFC 8428 §4.5 and LwM2M 1.1 TS
/// Core §7.4.4-7.4.6 (name resolution, typing by the object definition, grouping into instances
/// and resources) live here once, so the three formats cannot drift apart.

/// A value as a record carries it, before the resource's type gives it a meaning.
struct RecordValue {
  enum class Kind { Number, String, Boolean, Data, Objlnk };
  using Number = std::variant<std::int64_t, std::uint64_t, double>;

  Kind kind = Kind::Number;
  Number number;         // Kind::Number
  std::string text;      // Kind::String, and Kind::Objlnk as "oid:iid"
  bool boolean = false;  // Kind::Boolean
  Opaque data;           // Kind::Data
  /// Kind::Data as text formats carry it: base64url without padding in `text` (RFC 8428
  /// §4.3), decoded only once the record's path is known, so that an error can name it.
  bool dataInText = false;

  static RecordValue ofNumber(Number n);
  static RecordValue ofString(std::string s);
  static RecordValue ofBoolean(bool b);
  static RecordValue ofData(Opaque d);
  static RecordValue ofDataText(std::string base64url);
  static RecordValue ofObjlnk(std::string s);
};

/// One record after the format's syntax is stripped. A base name applies to this record and
/// all that follow until the next one (RFC 8428 §4.5.1).
struct Record {
  std::optional<std::string> baseName;
  std::optional<std::string> name;
  std::optional<RecordValue> value;
  std::string valueField;  // how the format spelled the value's field ("v", "vs", ...)
};

/// What differs between the formats inside the shared rules.
struct RecordDialect {
  std::string_view format;  // prefixes every message: "SenML JSON", "LwM2M JSON", ...
  /// OMA LwM2M JSON has no data field: an Opaque travels as base64 in a String value.
  bool opaqueAsBase64String = false;
};

/// The records that carry `content`, names relative to `baseName`:
/// /o → bn "/o/", names "iid/rid[/riid]"; /o/i → bn "/o/i/", names "rid[/riid]"; a multiple
/// resource /o/i/r → bn "/o/i/r/", names "riid"; a single resource or a resource instance →
/// bn is the full path and the one record has no name (LwM2M 1.1 TS §7.4.4 examples).
/// Records follow content's instance order, resources and resource instances in id order.
/// Errors: 4.06 for the root path; 5.00 when the content lacks the value at its path or holds
/// a value that does not match its type (a caller bug).
struct RecordPack {
  std::string baseName;
  std::vector<Record> records;
};
Result<RecordPack> recordsFromContent(const Content& content, std::string_view format);

/// Resolves, types and groups decoded records for a request on `path`. Every record needs a
/// value; its name (base name + name) must be "/o/i/r" or "/o/i/r/ri" below `path`, a resource
/// instance exactly for multiple resources; duplicates are refused. Errors: 4.00 naming the
/// record index (0-based), the path and the field; 4.04 (kind NotFound) for a resource `shapes`
/// does not know.
Result<Content> contentFromRecords(const Path& path, const std::vector<Record>& records,
                                   const ShapeLookup& shapes, const RecordDialect& dialect);

// ---- the composite operations (LwM2M 1.1 TS Core §6.3.8-6.3.9, §6.4.3) ----------------------

/// The shapes of one object's resources; an empty ShapeLookup when the object is not known.
using ObjectShapes = std::function<ShapeLookup(std::uint16_t oid)>;

/// The paths a Read-Composite or Observe-Composite request lists: one per record, its base name
/// plus name ("/" is the root path, a trailing '/' is dropped: bn "/3/0/" alone names /3/0).
/// Errors: 4.00 for an empty pack, a record with a value, or a name that is not a path.
Result<std::vector<Path>> pathsFromRecords(const std::vector<Record>& records,
                                           const RecordDialect& dialect);

/// A Write-Composite pack: records naming resources or resource instances of any objects, each
/// typed by its object's definition. One Content per object (path /oid), in ascending object
/// order; inside, the same grouping and checks as contentFromRecords. Errors: 4.00 naming the
/// record; 4.04 (kind NotFound) for an unknown object or resource.
Result<std::vector<Content>> compositeFromRecords(const std::vector<Record>& records,
                                                  const ObjectShapes& shapesFor,
                                                  const RecordDialect& dialect);

}  // namespace lwm2md
