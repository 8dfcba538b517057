#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dm/dm_request.hpp"
#include "io/content_format.hpp"

namespace lwm2md {

class AttributeStore;
class ObjectTree;

/// Serves what the LwM2M Bootstrap-Server asks of the client (TS 1.1 §6.1.7; CoAP mapping in
/// the Transport TS): Bootstrap-Write, -Read, -Discover, -Delete and -Finish, on the object
/// tree. Unlike the Device Management interface it applies no access control (TS §6.1.2: the
/// client accepts Bootstrap Information without it), may write any resource (also the Security
/// object and read-only ones) and may create instances. Pure: no network, no clock; the
/// BootstrapConnection hands it the requests that arrive on the bootstrap server's session.
class BootstrapHandler {
 public:
  struct Options {
    /// What a Bootstrap-Read without Accept answers in: the format the client announced as
    /// `pct` in its Bootstrap-Request (TS 1.1 §6.1.7.1), so the server reads what it asked for.
    ContentFormat readFormat = ContentFormat::SenmlCbor;
    /// The enabler version in the Bootstrap-Discover answer (`</>;lwm2m=1.1`).
    std::string lwm2mVersion = "1.1";
  };

  /// `attributes` (optional) loses the Write-Attributes of every instance Bootstrap-Delete
  /// removes, as a DM Delete does.
  explicit BootstrapHandler(ObjectTree& tree, AttributeStore* attributes = nullptr);
  BootstrapHandler(ObjectTree& tree, AttributeStore* attributes, Options options);

  /// Classifies a request on an LwM2M path: PUT is Bootstrap-Write, GET with Accept
  /// application/link-format Bootstrap-Discover, other GETs Bootstrap-Read, DELETE
  /// Bootstrap-Delete. Anything else (Execute, Create, partial update, Write-Attributes,
  /// composite operations) is no Bootstrap operation: 4.05 with the reason.
  DmResponse handle(const DmRequest& request);
  /// Bootstrap-Finish (POST /bs, which has no LwM2M path and so no DmRequest): 2.04 when the
  /// configuration is consistent, 4.06 Not Acceptable with the inconsistency as diagnostic.
  DmResponse finish();

  /// PUT /oid, /oid/iid or /oid/iid/rid: writes the payload whether or not the instance exists
  /// (it is created when missing); the resources given replace what is there, the others stay.
  /// All or nothing: every instance is checked before any changes. 2.04.
  DmResponse write(const DmRequest& request);
  /// GET /1, /1/x, /2, /2/x only (TS 1.1 §6.1.7.4). 2.05.
  DmResponse read(const DmRequest& request);
  /// GET / or /oid with Accept 40: `</>;lwm2m=1.1`, then per object its `ver` (when not 1.0)
  /// or bare link (when it has no instances) and its instances; Security instances carry
  /// `ssid` and `uri` (not the Bootstrap-Server account, which has neither), Server instances
  /// `ssid` (TS 1.1 §6.1.7.3). 2.05.
  DmResponse discover(const DmRequest& request);
  /// DELETE /, /oid or /oid/iid: never the Bootstrap-Server account nor the Device instance
  /// (TS 1.1 §6.1.7.6). 2.02.
  DmResponse remove(const DmRequest& request);

  /// The consistency check of Bootstrap-Finish (TS 1.1 §6.1.5, §6.1.3 step 3): nullopt when the
  /// configuration can be used, else the first problem found, naming the instance.
  std::optional<std::string> inconsistency() const;

  const Options& options() const { return options_; }
  void setReadFormat(ContentFormat format) { options_.readFormat = format; }

 private:
  ObjectTree& tree_;
  AttributeStore* attributes_;
  Options options_;
};

/// True for the Uri-Path of Bootstrap-Request and Bootstrap-Finish ("bs").
bool isBootstrapPath(const std::vector<std::string>& uriPath);

}  // namespace lwm2md
