#pragma once

// Between the library's Values and sdbus-c++ variants. Not installed: lwm2mctl and the library
// share it; applications see only lwm2md/provider.hpp.

#include <sdbus-c++/sdbus-c++.h>

#include <cstdint>
#include <lwm2md/provider.hpp>
#include <map>
#include <optional>

namespace lwm2md::provider {

using DbusValueMap = std::map<std::uint16_t, sdbus::Variant>;

/// The variant of the signature lwm2md expects for the value (s, x, t, d, b, ay, (qq), a{qv}).
sdbus::Variant toVariant(const Value& value);
DbusValueMap toVariants(const Values& values);
/// nullopt for a signature that lwm2md never sends.
std::optional<Value> fromVariant(const sdbus::Variant& variant);
/// Values whose signature is not understood are left out.
Values fromVariants(const DbusValueMap& values);

}  // namespace lwm2md::provider
