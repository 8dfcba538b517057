#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <cstdint>
#include <lwm2md/provider.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace lwm2md::ctl {

using Json = nlohmann::ordered_json;

/// A value for people: strings quoted, opaque as 0x.., objlnk as 3:0, multiple as {0=.., 1=..}.
std::string toText(const sdbus::Variant& variant);
/// A value for scripts: strings and numbers as such, opaque as "0x..", objlnk as "3:0",
/// a multiple resource as an object keyed by resource instance id.
Json toJson(const sdbus::Variant& variant);

/// Parses VALUE for a resource of DDF type `type` ("Float", "Objlnk", ...). A multiple resource
/// takes "ID=VALUE,ID=VALUE". nullopt with `error` set when the text does not fit the type.
std::optional<provider::Value> parseValue(const std::string& text, const std::string& type,
                                          bool multiple, std::string& error);

}  // namespace lwm2md::ctl
