#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/result.hpp"

namespace lwm2md {

/// A small CBOR (RFC 8949) reader and writer for SenML CBOR. nlohmann::json cannot serve here:
/// its CBOR maps take text keys only (from_cbor fails on SenML's integer labels, parse_error
/// 113) and to_cbor never writes half-precision floats.

/// One decoded data item. Maps keep their pairs in order as key, value, key, value, ...
struct CborItem {
  enum class Type {
    Unsigned,
    Negative,
    Bytes,
    Text,
    Array,
    Map,
    False,
    True,
    Null,
    Undefined,
    Float
  };
  Type type = Type::Null;
  std::uint64_t number = 0;         // Unsigned: the value; Negative: n for the value -1 - n
  double real = 0;                  // Float
  std::string text;                 // Text (valid UTF-8)
  std::vector<std::uint8_t> bytes;  // Bytes
  std::vector<CborItem> items;      // Array; Map as key/value pairs
  std::size_t offset = 0;           // of the item's first byte in the payload
};

/// Parses exactly one data item filling `data`. Definite and indefinite lengths are accepted;
/// tags, simple values other than false/true/null/undefined, nesting deeper than 16 and
/// trailing bytes are not. Errors: 4.00 "<format>: ..." with the byte offset.
Result<CborItem> parseCbor(std::span<const std::uint8_t> data, std::string_view format);

/// Writes definite-length items in preferred serialization (RFC 8949 §4.2.2): shortest heads,
/// and floats in the shortest of half/single/double precision that keeps the value.
class CborWriter {
 public:
  void arrayHeader(std::size_t count) { head(4, count); }
  void mapHeader(std::size_t count) { head(5, count); }
  void integer(std::int64_t value);
  void unsignedInteger(std::uint64_t value) { head(0, value); }
  void text(std::string_view value);
  void bytes(std::span<const std::uint8_t> value);
  void boolean(bool value) { out_.push_back(value ? 0xF5 : 0xF4); }
  void floating(double value);

  const std::vector<std::uint8_t>& data() const { return out_; }
  std::vector<std::uint8_t> take() { return std::move(out_); }

 private:
  void head(std::uint8_t major, std::uint64_t argument);
  std::vector<std::uint8_t> out_;
};

}  // namespace lwm2md
