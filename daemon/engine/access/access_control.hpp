#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "model/coap_code.hpp"
#include "model/path.hpp"
#include "model/result.hpp"

namespace lwm2md {

class Instance;
class ObjectTree;

/// What a Device Management server asks to do; each maps onto one ACL bit (TS 1.1 Core §E.3,
/// resource 2 of the Access Control object).
enum class AccessOperation {
  Read,
  Discover,
  Observe,
  WriteAttributes,
  Write,
  Execute,
  Delete,
  Create
};

/// The ACL bits of /2/x/2 (TS 1.1 Core §E.3).
namespace acl {
// Read, Observe, Write-Attributes (§E.3); Discover too: it shows what a Read would, so it
// needs the same right (our reading: the object definition names no bit for Discover).
constexpr std::uint16_t kRead = 1;
constexpr std::uint16_t kWrite = 2;
constexpr std::uint16_t kExecute = 4;
constexpr std::uint16_t kDelete = 8;
constexpr std::uint16_t kCreate = 16;  // only in the object-level instance (/2/x/1 = 65535)
/// What the Access Control Owner holds on an instance it has no ACL entry for (TS 1.1 Core
/// §7.3.1: "full access right"; Create is no right on an instance).
constexpr std::uint16_t kFullInstance = kRead | kWrite | kExecute | kDelete;
/// /2/x/1 for the instance that grants Create on a whole object; as /2/x/3: only the Bootstrap
/// server manages the entry.
constexpr std::uint16_t kMaxId = 65535;
/// ACL resource instance 0 holds the default rights of every server without an entry of its own.
constexpr std::uint16_t kDefaultEntry = 0;
}  // namespace acl

/// The answer to one check: allowed, or the code and reason of the refusal.
struct AccessDecision {
  bool allowed = true;
  CoapCode code = CoapCode::Unauthorized;
  std::string reason;

  static AccessDecision allow() { return {}; }
  static AccessDecision deny(std::string why) {
    return {false, CoapCode::Unauthorized, std::move(why)};
  }
  explicit operator bool() const { return allowed; }
};

/// Access Control (LwM2M 1.1 TS Core §7.3, object 2 in §E.3) over the instances of object 2 in
/// the tree. It decides; the data model answers. The Bootstrap server never comes here (the
/// bootstrap component serves it and bypasses every ACL, §7.3.1).
///
/// Rules (TS 1.1 Core §7.3.1 and the resource descriptions of §E.3):
///  - Enforced only with more than one LwM2M server account; a single server has every right
///    on every instance (§7.3.1: "the Server MUST have full access right").
///  - The Security object (0) is never accessible to a DM server (§E.1 / §6.3: 4.01).
///  - Rights on an object instance come from the Access Control instance with /2/x/0 = oid and
///    /2/x/1 = iid: the server's own ACL entry (resource instance id = short server id) if any;
///    else, for the Access Control Owner (/2/x/3), full rights except Create; else the default
///    entry (resource instance 0); else none. No Access Control instance at all: no rights.
///  - Create needs the Create bit in the instance with /2/x/1 = 65535 for that object (own
///    entry, else default entry; the owner rule applies to instances only).
///  - An Access Control instance is managed by its owner only (§E.3 resource 3): the owner may
///    read, discover, observe, write and set attributes on it; nobody else may. Its lifetime
///    follows its target (the client creates and deletes it), so no DM server deletes one.
/// Missing targets are the caller's to report (4.04 before 4.01): check() judges rights only.
class AccessControl {
 public:
  /// How many DM server accounts exist (the Bootstrap server not counted).
  using ServerCounter = std::function<std::size_t()>;

  /// Without `countServers`, the servers are the instances of the Server object (1) in the tree:
  /// every LwM2M Server account has one, the Bootstrap server has none (§E.2), and bootstrap
  /// writes them, so the count follows bootstrap without telling anyone.
  explicit AccessControl(const ObjectTree& tree, ServerCounter countServers = {});

  /// True when more than one DM server exists: only then do ACLs apply (§7.3.1).
  bool enforced() const;

  /// May `server` do `op` on `path`? Object-level Read, Discover, Observe and Write-Attributes
  /// are allowed here: the caller leaves out the instances the server may not read
  /// (mayRead on each). Create is judged on the object path.
  AccessDecision check(std::uint16_t server, AccessOperation op, const Path& path) const;
  /// Shorthand: check(server, Read, path) allowed.
  bool mayRead(std::uint16_t server, const Path& path) const;

  /// The ACL bits `server` holds on /oid/iid by the rules above (ignores enforcement).
  std::uint16_t rightsOn(std::uint16_t server, std::uint16_t oid, std::uint16_t iid) const;
  /// The bits `server` holds for Create on `oid` (ignores enforcement).
  std::uint16_t createRightsOn(std::uint16_t server, std::uint16_t oid) const;
  /// The Access Control instance governing /oid/iid (iid 65535: Create on `oid`), if any.
  const Instance* controlOf(std::uint16_t oid, std::uint16_t iid) const;

  /// A server created /oid/iid: the client creates its Access Control instance, owned by that
  /// server, without ACL entries (the owner rule gives the creator every instance right; the
  /// owner adds entries for the others). Always done, also with one server: §7.3.1 lets a
  /// single-server client keep Access Control instances so a second server finds ownership in
  /// place. Nothing is created for objects 0 and 2, or when the tree has no object 2 definition.
  Status instanceCreated(ObjectTree& tree, std::uint16_t server, std::uint16_t oid,
                         std::uint16_t iid) const;
  /// /oid/iid was deleted: its Access Control instances go with it.
  void instanceDeleted(ObjectTree& tree, std::uint16_t oid, std::uint16_t iid) const;

 private:
  AccessDecision checkControlInstance(std::uint16_t server, AccessOperation op,
                                      const Path& path) const;

  const ObjectTree& tree_;
  ServerCounter countServers_;
};

/// The ACL bit an operation needs.
std::uint16_t requiredBit(AccessOperation op);
/// "Read", "Write", ... for messages.
const char* toString(AccessOperation op);

}  // namespace lwm2md
