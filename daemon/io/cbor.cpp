#include "io/cbor.hpp"

#include <fmt/format.h>

#include <bit>
#include <cfloat>
#include <cmath>
#include <optional>

#include "io/utf8.hpp"

namespace lwm2md {

namespace {

constexpr int kMaxDepth = 16;
constexpr std::uint8_t kBreak = 0xFF;

/// Decodes an IEEE 754 half-precision float (RFC 8949 Appendix D).
double halfToDouble(std::uint16_t half) {
  const int exponent = (half >> 10) & 0x1F;
  const int mantissa = half & 0x3FF;
  double value = 0;
  if (exponent == 0)
    value = std::ldexp(mantissa, -24);
  else if (exponent != 31)
    value = std::ldexp(mantissa + 1024, exponent - 25);
  else
    value = mantissa == 0 ? INFINITY : NAN;
  return (half & 0x8000) ? -value : value;
}

/// The half-precision bits of `value` when half precision holds it exactly.
std::optional<std::uint16_t> exactHalf(double value) {
  const std::uint16_t sign = std::signbit(value) ? 0x8000 : 0;
  if (std::isinf(value)) return static_cast<std::uint16_t>(sign | 0x7C00);
  if (std::isnan(value)) return std::nullopt;
  const double magnitude = std::fabs(value);
  if (magnitude == 0) return sign;
  int exponent = 0;
  std::frexp(magnitude, &exponent);   // magnitude = m * 2^exponent, 0.5 <= m < 1
  const int unbiased = exponent - 1;  // magnitude = 1.f * 2^unbiased
  if (unbiased > 15) return std::nullopt;
  if (unbiased >= -14) {
    const double scaled = std::ldexp(magnitude, 10 - unbiased);  // in [1024, 2048)
    if (scaled != std::trunc(scaled)) return std::nullopt;
    return static_cast<std::uint16_t>(sign | ((unbiased + 15) << 10) |
                                      (static_cast<unsigned>(scaled) - 1024));
  }
  const double scaled = std::ldexp(magnitude, 24);  // subnormal: multiples of 2^-24
  if (scaled != std::trunc(scaled) || scaled >= 1024) return std::nullopt;
  return static_cast<std::uint16_t>(sign | static_cast<unsigned>(scaled));
}

class Parser {
 public:
  Parser(std::span<const std::uint8_t> data, std::string_view format)
      : data_(data), format_(format) {}

  Result<CborItem> parseAll() {
    auto item = parseItem(0);
    if (!item) return item;
    if (pos_ != data_.size())
      return fail(pos_, fmt::format("{} bytes follow the data item", data_.size() - pos_));
    return item;
  }

 private:
  Error fail(std::size_t offset, std::string what) const {
    return badRequest(fmt::format("{}: invalid CBOR at byte {}: {}", format_, offset, what));
  }

  Result<std::uint64_t> readUint(std::size_t bytes, std::size_t offset) {
    if (data_.size() - pos_ < bytes) return fail(offset, "truncated head");
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < bytes; ++i) value = (value << 8) | data_[pos_++];
    return value;
  }

  /// The head's argument; nullopt for the indefinite-length marker (additional info 31).
  Result<std::optional<std::uint64_t>> readArgument(std::uint8_t info, std::size_t offset) {
    if (info < 24) return std::optional<std::uint64_t>(info);
    if (info >= 24 && info <= 27) {
      auto value = readUint(std::size_t{1} << (info - 24), offset);
      if (!value) return value.error();
      return std::optional<std::uint64_t>(*value);
    }
    if (info == 31) return std::optional<std::uint64_t>();
    return fail(offset, fmt::format("reserved additional information {}", info));
  }

  Result<std::vector<std::uint8_t>> readString(std::uint8_t major,
                                               std::optional<std::uint64_t> length,
                                               std::size_t offset) {
    std::vector<std::uint8_t> out;
    if (length) {
      if (data_.size() - pos_ < *length)
        return fail(offset, fmt::format("string of {} bytes but only {} remain", *length,
                                        data_.size() - pos_));
      out.assign(data_.begin() + static_cast<std::ptrdiff_t>(pos_),
                 data_.begin() + static_cast<std::ptrdiff_t>(pos_ + *length));
      pos_ += *length;
      return out;
    }
    // Indefinite length: definite-length chunks of the same major type up to a break.
    while (true) {  // every pass consumes at least one byte or returns
      if (pos_ >= data_.size()) return fail(offset, "indefinite-length string lacks its break");
      const std::size_t chunkOffset = pos_;
      const std::uint8_t initial = data_[pos_++];
      if (initial == kBreak) return out;
      if ((initial >> 5) != major || (initial & 0x1F) == 31)
        return fail(chunkOffset, "a chunk of an indefinite-length string has the wrong type");
      auto chunkLength = readArgument(initial & 0x1F, chunkOffset);
      if (!chunkLength) return chunkLength.error();
      auto chunk = readString(major, *chunkLength, chunkOffset);
      if (!chunk) return chunk.error();
      out.insert(out.end(), chunk->begin(), chunk->end());
    }
  }

  Result<CborItem> parseItem(int depth) {
    if (depth > kMaxDepth) return fail(pos_, fmt::format("nesting deeper than {}", kMaxDepth));
    if (pos_ >= data_.size()) return fail(pos_, "unexpected end of data");
    CborItem item;
    item.offset = pos_;
    const std::uint8_t initial = data_[pos_++];
    const std::uint8_t major = initial >> 5;
    const std::uint8_t info = initial & 0x1F;
    if (major == 7) return parseSimple(item, info);
    auto argument = readArgument(info, item.offset);
    if (!argument) return argument.error();
    const std::optional<std::uint64_t> length = *argument;
    switch (major) {
      case 0:
      case 1:
        if (!length) return fail(item.offset, "an integer cannot have indefinite length");
        item.type = major == 0 ? CborItem::Type::Unsigned : CborItem::Type::Negative;
        item.number = *length;
        return item;
      case 2:
      case 3: {
        auto bytes = readString(major, length, item.offset);
        if (!bytes) return bytes.error();
        if (major == 2) {
          item.type = CborItem::Type::Bytes;
          item.bytes = std::move(*bytes);
          return item;
        }
        item.type = CborItem::Type::Text;
        item.text.assign(bytes->begin(), bytes->end());
        if (!isValidUtf8(item.text)) return fail(item.offset, "text string is not valid UTF-8");
        return item;
      }
      case 4:
      case 5: {
        item.type = major == 4 ? CborItem::Type::Array : CborItem::Type::Map;
        const int perEntry = major == 4 ? 1 : 2;
        // Each element takes at least one byte, so the input bounds the loop; nothing is
        // reserved from the (untrusted) count.
        for (std::uint64_t i = 0; !length || i < *length; ++i) {
          if (!length && pos_ < data_.size() && data_[pos_] == kBreak) {
            ++pos_;
            break;
          }
          for (int k = 0; k < perEntry; ++k) {
            auto child = parseItem(depth + 1);
            if (!child) return child;
            item.items.push_back(std::move(*child));
          }
        }
        return item;
      }
      default:
        break;
    }
    return fail(item.offset, fmt::format("tag {} is not supported", length.value_or(0)));
  }

  Result<CborItem> parseSimple(CborItem& item, std::uint8_t info) {
    switch (info) {
      case 20:
        item.type = CborItem::Type::False;
        return item;
      case 21:
        item.type = CborItem::Type::True;
        return item;
      case 22:
        item.type = CborItem::Type::Null;
        return item;
      case 23:
        item.type = CborItem::Type::Undefined;
        return item;
      case 25:
      case 26:
      case 27: {
        auto bits = readUint(std::size_t{1} << (info - 24), item.offset);
        if (!bits) return bits.error();
        item.type = CborItem::Type::Float;
        if (info == 25)
          item.real = halfToDouble(static_cast<std::uint16_t>(*bits));
        else if (info == 26)
          item.real = static_cast<double>(std::bit_cast<float>(static_cast<std::uint32_t>(*bits)));
        else
          item.real = std::bit_cast<double>(*bits);
        return item;
      }
      case 31:
        return fail(item.offset, "unexpected break");
      default:
        break;
    }
    return fail(item.offset, fmt::format("simple value {} is not supported", info));
  }

  std::span<const std::uint8_t> data_;
  std::string_view format_;
  std::size_t pos_ = 0;
};

}  // namespace

Result<CborItem> parseCbor(std::span<const std::uint8_t> data, std::string_view format) {
  return Parser(data, format).parseAll();
}

void CborWriter::head(std::uint8_t major, std::uint64_t argument) {
  const auto initial = static_cast<std::uint8_t>(major << 5);
  std::size_t bytes = 0;
  if (argument < 24) {
    out_.push_back(static_cast<std::uint8_t>(initial | argument));
    return;
  }
  if (argument <= 0xFF) {
    out_.push_back(initial | 24);
    bytes = 1;
  } else if (argument <= 0xFFFF) {
    out_.push_back(initial | 25);
    bytes = 2;
  } else if (argument <= 0xFFFFFFFF) {
    out_.push_back(initial | 26);
    bytes = 4;
  } else {
    out_.push_back(initial | 27);
    bytes = 8;
  }
  for (std::size_t i = bytes; i-- > 0;)
    out_.push_back(static_cast<std::uint8_t>(argument >> (8 * i)));
}

void CborWriter::integer(std::int64_t value) {
  if (value >= 0)
    head(0, static_cast<std::uint64_t>(value));
  else
    head(1, static_cast<std::uint64_t>(-(value + 1)));  // -1 - n, without overflow at INT64_MIN
}

void CborWriter::text(std::string_view value) {
  head(3, value.size());
  out_.insert(out_.end(), value.begin(), value.end());
}

void CborWriter::bytes(std::span<const std::uint8_t> value) {
  head(2, value.size());
  out_.insert(out_.end(), value.begin(), value.end());
}

void CborWriter::floating(double value) {
  if (std::isnan(value)) {  // one canonical NaN (RFC 8949 §4.2.2)
    out_.insert(out_.end(), {0xF9, 0x7E, 0x00});
    return;
  }
  if (auto half = exactHalf(value)) {
    out_.push_back(0xF9);
    out_.push_back(static_cast<std::uint8_t>(*half >> 8));
    out_.push_back(static_cast<std::uint8_t>(*half));
    return;
  }
  // The range check comes first: converting an out-of-range double to float is undefined.
  if (std::fabs(value) <= FLT_MAX && static_cast<double>(static_cast<float>(value)) == value) {
    const auto bits = std::bit_cast<std::uint32_t>(static_cast<float>(value));
    out_.push_back(0xFA);
    for (int i = 3; i >= 0; --i) out_.push_back(static_cast<std::uint8_t>(bits >> (8 * i)));
    return;
  }
  const auto bits = std::bit_cast<std::uint64_t>(value);
  out_.push_back(0xFB);
  for (int i = 7; i >= 0; --i) out_.push_back(static_cast<std::uint8_t>(bits >> (8 * i)));
}

}  // namespace lwm2md
