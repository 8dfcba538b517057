#include "io/link_format.hpp"

#include <fmt/format.h>

namespace lwm2md {

namespace {

bool isAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool isHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/// RFC 5987 attr-char: the characters of a parmname.
bool isParmnameChar(char c) {
  return isAlnum(c) || std::string_view("!#$&+-.^_`|~").find(c) != std::string_view::npos;
}

/// RFC 6690 ptokenchar.
bool isPtokenChar(char c) {
  return isAlnum(c) ||
         std::string_view("!#$%&'()*+-./:<=>?@[]^_`{|}~").find(c) != std::string_view::npos;
}

/// RFC 3986 characters of a URI-reference other than '%' (checked separately).
bool isUriChar(char c) {
  return isAlnum(c) || std::string_view("-._~:/?#[]@!$&'()*+,;=").find(c) != std::string_view::npos;
}

bool isPtoken(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text)
    if (!isPtokenChar(c)) return false;
  return true;
}

class LinkParser {
 public:
  explicit LinkParser(std::string_view text) : text_(text) {}

  Result<std::vector<Link>> parse() {
    std::vector<Link> links;
    if (text_.empty()) return links;
    while (true) {  // each pass consumes at least "<>" or fails
      auto link = parseLink();
      if (!link) return link.error();
      links.push_back(std::move(*link));
      if (atEnd()) return links;
      if (peek() != ',') return fail("expected ',' or ';'");
      ++pos_;
      if (atEnd()) return fail("expected '<' after ','");
    }
  }

 private:
  bool atEnd() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }

  Error fail(std::string_view what) const {
    std::string found = "the end";
    if (!atEnd()) {
      const auto c = static_cast<unsigned char>(peek());
      found = c >= 0x21 && c < 0x7F ? fmt::format("'{}'", static_cast<char>(c))
                                    : fmt::format("byte 0x{:02x}", c);
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
        found += " (RFC 6690 allows no whitespace outside quoted strings)";
    }
    return badRequest(fmt::format("link-format: {} at byte {}, found {}", what, pos_, found));
  }

  Result<Link> parseLink() {
    if (atEnd() || peek() != '<') return fail("expected '<'");
    ++pos_;
    Link link;
    while (!atEnd() && peek() != '>') {
      const char c = peek();
      if (c == '%') {
        if (text_.size() - pos_ < 3 || !isHex(text_[pos_ + 1]) || !isHex(text_[pos_ + 2]))
          return fail("expected two hex digits after '%'");
        link.target.append(text_.substr(pos_, 3));
        pos_ += 3;
        continue;
      }
      if (!isUriChar(c)) return fail("expected a URI character or '>'");
      link.target += c;
      ++pos_;
    }
    if (atEnd()) return fail("expected '>'");
    ++pos_;
    while (!atEnd() && peek() == ';') {
      ++pos_;
      auto attribute = parseAttribute();
      if (!attribute) return attribute.error();
      link.attributes.push_back(std::move(*attribute));
    }
    return link;
  }

  Result<LinkAttribute> parseAttribute() {
    LinkAttribute attribute;
    while (!atEnd() && isParmnameChar(peek())) attribute.name += text_[pos_++];
    if (attribute.name.empty()) return fail("expected a parameter name");
    if (!atEnd() && peek() == '*') attribute.name += text_[pos_++];  // ext-name-star (title*)
    if (atEnd() || peek() != '=') return attribute;
    ++pos_;
    if (!atEnd() && peek() == '"') {
      auto value = parseQuoted();
      if (!value) return value.error();
      attribute.value = std::move(*value);
      attribute.quoted = true;
      return attribute;
    }
    std::string value;
    while (!atEnd() && isPtokenChar(peek())) value += text_[pos_++];
    if (value.empty()) return fail("expected a value after '='");
    attribute.value = std::move(value);
    return attribute;
  }

  /// quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE (RFC 2616 §2.2).
  Result<std::string> parseQuoted() {
    ++pos_;  // opening quote
    std::string value;
    while (!atEnd()) {
      const auto c = static_cast<unsigned char>(peek());
      if (c == '"') {
        ++pos_;
        return value;
      }
      if (c == '\\') {
        ++pos_;
        if (atEnd()) break;
        const auto escaped = static_cast<unsigned char>(peek());
        if (escaped == 0 || escaped > 0x7F) return fail("expected an ASCII character after '\\'");
        value += static_cast<char>(escaped);
        ++pos_;
        continue;
      }
      if ((c < 0x20 && c != '\t') || c == 0x7F) return fail("control character in quoted string");
      value += static_cast<char>(c);
      ++pos_;
    }
    return fail("unterminated quoted string: expected '\"'");
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

const LinkAttribute* Link::find(std::string_view name) const {
  for (const auto& attribute : attributes)
    if (attribute.name == name) return &attribute;
  return nullptr;
}

std::string encodeLinks(const std::vector<Link>& links) {
  std::string out;
  for (std::size_t i = 0; i < links.size(); ++i) {
    if (i > 0) out += ',';
    out += '<';
    out += links[i].target;
    out += '>';
    for (const auto& attribute : links[i].attributes) {
      out += ';';
      out += attribute.name;
      if (!attribute.value) continue;
      out += '=';
      const auto& value = *attribute.value;
      if (!attribute.quoted && isPtoken(value)) {
        out += value;
        continue;
      }
      out += '"';
      for (char c : value) {
        // quoted-pair (RFC 2616 §2.2) also covers control characters, which qdtext excludes.
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\' || (u < 0x20 && c != '\t') || u == 0x7F) out += '\\';
        out += c;
      }
      out += '"';
    }
  }
  return out;
}

Result<std::vector<Link>> parseLinks(std::string_view text) {
  return LinkParser(text).parse();
}

}  // namespace lwm2md
