// Reads OMA DDF XML (the LwM2M registry format) into ObjectDefs. The registry's files were
// written by many hands over a decade, so the reader is lenient about form (namespaces, comments,
// whitespace, missing informative elements, old type spellings) and strict about meaning (ids,
// operations, types): a wrong definition would make the daemon answer servers wrongly.

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <exception>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include <pugixml.hpp>

#include "ddf/object_registry.hpp"
#include "model/value.hpp"

namespace lwm2md {

namespace {

// 65535 is reserved by the TS (it means "no id" in several places), so it is not a valid id.
constexpr unsigned kMaxId = 65534;

std::string_view trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n\f\v";
  const auto first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(kSpace);
  return s.substr(first, last - first + 1);
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) {
             return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
           };
           return lower(x) == lower(y);
         });
}

// Element names are compared without their namespace prefix: some tools write <lwm2m:Object>.
std::string_view localName(const pugi::xml_node& node) {
  std::string_view name = node.name();
  const auto colon = name.rfind(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

pugi::xml_node childElement(const pugi::xml_node& parent, std::string_view name) {
  for (auto c = parent.first_child(); c; c = c.next_sibling())
    if (c.type() == pugi::node_element && localName(c) == name) return c;
  return {};
}

// Text of an element with CDATA sections and text split by comments joined, trimmed.
std::string textOf(const pugi::xml_node& node) {
  std::string text;
  for (auto c = node.first_child(); c; c = c.next_sibling())
    if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) text += c.value();
  return std::string(trim(text));
}

std::optional<std::uint16_t> parseId(std::string_view text) {
  if (text.empty()) return std::nullopt;
  unsigned value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || value > kMaxId) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

std::optional<ResourceType> parseType(std::string_view text) {
  if (auto type = resourceTypeFromString(text)) return type;
  // Registry files are inconsistent about case ("Unsigned integer", "OPAQUE").
  for (auto type : {ResourceType::String, ResourceType::Integer, ResourceType::UnsignedInteger,
                    ResourceType::Float, ResourceType::Boolean, ResourceType::Opaque,
                    ResourceType::Time, ResourceType::Objlnk, ResourceType::Corelnk})
    if (equalsIgnoreCase(text, toString(type))) return type;
  return std::nullopt;
}

std::optional<Operations> parseOperations(std::string_view text) {
  Operations ops;
  if (text.empty()) return ops;
  if (equalsIgnoreCase(text, "R")) {
    ops.read = true;
  } else if (equalsIgnoreCase(text, "W")) {
    ops.write = true;
  } else if (equalsIgnoreCase(text, "RW")) {
    ops.read = ops.write = true;
  } else if (equalsIgnoreCase(text, "E")) {
    ops.execute = true;
  } else {
    return std::nullopt;
  }
  return ops;
}

// Where in the document an error is: every message names the source, the line (when pugixml
// knows it), the object and the item, so a person can go straight to the faulty element.
class Reader {
 public:
  Reader(std::string_view xml, std::string_view source) : xml_(xml), source_(source) {}

  Result<std::vector<ObjectDef>> read() {
    pugi::xml_document doc;
    const auto parsed = doc.load_buffer(xml_.data(), xml_.size(), pugi::parse_default);
    if (!parsed) {
      return badRequest(fmt::format("{}:{}: not well-formed XML: {}", source_,
                                    lineAt(parsed.offset), parsed.description()));
    }
    const auto root = doc.document_element();
    std::vector<pugi::xml_node> objects;
    if (localName(root) == "Object") {
      objects.push_back(root);  // a bare <Object> without the <LWM2M> wrapper
    } else if (localName(root) == "LWM2M") {
      for (auto c = root.first_child(); c; c = c.next_sibling())
        if (c.type() == pugi::node_element && localName(c) == "Object") objects.push_back(c);
    } else {
      return fail(root, fmt::format("root element is <{}>, expected <LWM2M>", root.name()));
    }
    if (objects.empty()) return fail(root, "no <Object> element in <LWM2M>");

    std::vector<ObjectDef> defs;
    std::set<std::uint16_t> seen;
    for (const auto& node : objects) {
      auto def = readObject(node);
      if (!def) return def.error();
      if (!seen.insert(def->id).second)
        return fail(node, fmt::format("object {} is defined twice in this document", def->id));
      defs.push_back(std::move(*def));
    }
    return defs;
  }

 private:
  Result<ObjectDef> readObject(const pugi::xml_node& node) {
    oid_.reset();
    rid_.reset();
    ObjectDef def;
    const auto idNode = childElement(node, "ObjectID");
    if (!idNode) return fail(node, "<ObjectID> is missing");
    const auto idText = textOf(idNode);
    const auto id = parseId(idText);
    if (!id)
      return fail(idNode, fmt::format("<ObjectID> '{}' is not an id in 0..{}", idText, kMaxId));
    def.id = *id;
    oid_ = *id;

    def.name = textOf(childElement(node, "Name"));
    def.urn = textOf(childElement(node, "ObjectURN"));
    // Files that predate LwM2M 1.1 carry neither version; both then mean 1.0.
    if (auto v = textOf(childElement(node, "LWM2MVersion")); !v.empty()) def.lwm2mVersion = v;
    if (auto v = textOf(childElement(node, "ObjectVersion")); !v.empty()) def.objectVersion = v;

    auto multiple = readChoice(node, "MultipleInstances", "Multiple", "Single");
    if (!multiple) return multiple.error();
    def.multiple = *multiple;
    auto mandatory = readChoice(node, "Mandatory", "Mandatory", "Optional");
    if (!mandatory) return mandatory.error();
    def.mandatory = *mandatory;

    // An object without resources is odd but legal (some registry entries are placeholders).
    const auto resources = childElement(node, "Resources");
    for (auto item = resources.first_child(); item; item = item.next_sibling()) {
      if (item.type() != pugi::node_element || localName(item) != "Item") continue;
      auto res = readItem(item);
      if (!res) return res.error();
      const auto rid = res->id;
      if (!def.resources.emplace(rid, std::move(*res)).second)
        return fail(item, fmt::format("duplicate Item ID {}", rid));
      rid_.reset();
    }
    return def;
  }

  Result<ResourceDef> readItem(const pugi::xml_node& item) {
    rid_.reset();
    ResourceDef res;
    const auto idAttr = item.attribute("ID");
    if (!idAttr) return fail(item, "<Item> has no ID attribute");
    const auto idText = std::string(trim(idAttr.value()));
    const auto id = parseId(idText);
    if (!id) return fail(item, fmt::format("Item ID '{}' is not an id in 0..{}", idText, kMaxId));
    res.id = *id;
    rid_ = *id;

    res.name = textOf(childElement(item, "Name"));
    res.rangeEnumeration = textOf(childElement(item, "RangeEnumeration"));
    res.units = textOf(childElement(item, "Units"));

    const auto opsNode = childElement(item, "Operations");
    if (!opsNode) return fail(item, "<Operations> is missing");
    const auto opsText = textOf(opsNode);
    const auto ops = parseOperations(opsText);
    if (!ops)
      return fail(opsNode,
                  fmt::format("<Operations> '{}' is not one of R, W, RW, E or empty", opsText));
    res.operations = *ops;

    auto multiple = readChoice(item, "MultipleInstances", "Multiple", "Single");
    if (!multiple) return multiple.error();
    res.multiple = *multiple;
    auto mandatory = readChoice(item, "Mandatory", "Mandatory", "Optional");
    if (!mandatory) return mandatory.error();
    res.mandatory = *mandatory;

    // A missing <Type> reads as an empty one: older files leave it out for executables.
    const auto typeNode = childElement(item, "Type");
    const auto typeText = textOf(typeNode);
    const auto type = parseType(typeText);
    if (!type)
      return fail(typeNode ? typeNode : item,
                  fmt::format("<Type> '{}' is not a LwM2M data type", typeText));
    res.type = *type;

    if (res.operations.execute && res.type != ResourceType::None)
      return fail(typeNode ? typeNode : item,
                  fmt::format("executable resource must have an empty <Type>, not '{}'", typeText));
    if ((res.operations.read || res.operations.write) && res.type == ResourceType::None)
      return fail(item, fmt::format("resource with operations '{}' needs a <Type>", opsText));
    return res;
  }

  Result<bool> readChoice(const pugi::xml_node& parent, std::string_view element,
                          std::string_view yes, std::string_view no) {
    const auto node = childElement(parent, element);
    if (!node) return fail(parent, fmt::format("<{}> is missing", element));
    const auto text = textOf(node);
    if (equalsIgnoreCase(text, yes)) return true;
    if (equalsIgnoreCase(text, no)) return false;
    return fail(node, fmt::format("<{}> '{}' must be {} or {}", element, text, yes, no));
  }

  std::size_t lineAt(std::ptrdiff_t offset) const {
    if (offset < 0) return 0;
    const auto end = std::min(static_cast<std::size_t>(offset), xml_.size());
    return 1 + static_cast<std::size_t>(std::count(xml_.begin(), xml_.begin() + end, '\n'));
  }

  Error fail(const pugi::xml_node& near, std::string_view what) const {
    std::string where(source_);
    if (near && near.offset_debug() >= 0) where += fmt::format(":{}", lineAt(near.offset_debug()));
    if (oid_) where += fmt::format(": object {}", *oid_);
    if (rid_) where += fmt::format(" item {}", *rid_);
    return badRequest(fmt::format("{}: {}", where, what));
  }

  std::string_view xml_;
  std::string_view source_;
  std::optional<std::uint16_t> oid_;
  std::optional<std::uint16_t> rid_;
};

}  // namespace

Result<std::vector<ObjectDef>> parseDdf(std::string_view xml, std::string_view source) {
  if (xml.size() > kMaxDdfBytes) {
    return badRequest(fmt::format("{}: document is {} bytes, more than the {} bytes allowed",
                                  source, xml.size(), kMaxDdfBytes));
  }
  try {
    return Reader(xml, source).read();
  } catch (const std::exception& e) {
    // pugixml reports parse problems as values; only allocation failure can get here.
    return Error{CoapCode::InternalServerError, fmt::format("{}: {}", source, e.what()),
                 ErrorKind::Failed};
  }
}

}  // namespace lwm2md
