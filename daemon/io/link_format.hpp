#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/result.hpp"

namespace lwm2md {

/// CoRE Link Format (content format 40), RFC 6690: what Register, Update, Discover and
/// Bootstrap-Discover carry. Not a value format, so encodeContent/decodeContent refuse it.

/// One link-param. `value` is unescaped; `quoted` records (and on output asks for) the
/// quoted-string form. A parameter without "=" has no value (e.g. ";obs").
struct LinkAttribute {
  std::string name;
  std::optional<std::string> value;
  bool quoted = false;

  bool operator==(const LinkAttribute&) const = default;
};

struct Link {
  std::string target;  // the URI-Reference between '<' and '>'
  std::vector<LinkAttribute> attributes;

  /// The first attribute called `name`, or nullptr.
  const LinkAttribute* find(std::string_view name) const;

  bool operator==(const Link&) const = default;
};

/// `</>;rt="oma.lwm2m";ct=11543,</1/0>,</3/0>;ver=1.1`. A value that is not a valid ptoken
/// (empty, or containing ',', ';', '"', '\', whitespace...) is quoted even if `quoted` is false.
std::string encodeLinks(const std::vector<Link>& links);

/// Strict RFC 6690 §2 parsing: no whitespace outside quoted strings, quoted strings with
/// backslash escapes, '%' escapes in targets checked, no empty or trailing link-values.
/// An empty input is an empty list. Errors: 4.00 naming the byte offset.
Result<std::vector<Link>> parseLinks(std::string_view text);

}  // namespace lwm2md
