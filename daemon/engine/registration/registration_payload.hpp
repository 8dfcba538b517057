#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lwm2md {

class ObjectTree;

/// The CoRE link list of a Register/Update (TS §6.2.1): every instance the client serves,
/// except the Security object (and OSCORE, 21) which a server must not see. For LwM2M 1.1 it
/// starts with `</>;rt="oma.lwm2m";ct=...` and objects whose version is not 1.0 carry `ver`.
std::string registrationPayload(const ObjectTree& tree, std::string_view lwm2mVersion);

/// The Uri-Query items of a Register: ep, lt, lwm2m, b. For LwM2M 1.1 queue mode is its own
/// item `Q` (TS 1.1 §6.2.1), so a 1.0-style binding "UQ" becomes `b=U` and `Q`; 1.0 keeps
/// `b=UQ`.
std::vector<std::string> registerQuery(std::string_view endpoint, unsigned lifetime,
                                       std::string_view lwm2mVersion, std::string_view binding);

/// The Uri-Query items of an Update: only what changed (TS 1.1 §6.2.2), `lt` and `b` (with
/// `Q` as for a Register); empty when neither changed.
std::vector<std::string> updateQuery(std::optional<unsigned> lifetime,
                                     const std::optional<std::string>& binding,
                                     std::string_view lwm2mVersion);

}  // namespace lwm2md
