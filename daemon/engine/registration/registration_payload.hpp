#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lwm2md {

class ObjectTree;

/// The CoRE link list of a Register/Update (TS §6.2.1): every instance the client serves,
/// except the Security object (and OSCORE, 21) which a server must not see. For LwM2M 1.1 it
/// starts with `</>;rt="oma.lwm2m";ct=...` and objects whose version is not 1.0 carry `ver`.
std::string registrationPayload(const ObjectTree& tree, std::string_view lwm2mVersion);

/// The Uri-Query items of a Register: ep, lt, lwm2m, b.
std::vector<std::string> registerQuery(std::string_view endpoint, unsigned lifetime,
                                       std::string_view lwm2mVersion, std::string_view binding);

}  // namespace lwm2md
