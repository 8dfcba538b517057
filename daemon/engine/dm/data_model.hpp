#pragma once

#include <memory>
#include <optional>

#include "access/access_control.hpp"
#include "dm/dm_request.hpp"
#include "model/content.hpp"
#include "model/result.hpp"

namespace lwm2md {

class ObjectTree;
class AttributeStore;

/// Serves Device Management operations on the object tree. Each operation lives in its own
/// file (dm_read.cpp, dm_write.cpp, dm_create.cpp, ...) and answers with the CoAP code the TS
/// names, so every failure maps straight onto a response. Every operation that changes
/// something validates the whole request first: a failure changes nothing.
class DataModel {
 public:
  /// `attributes` holds the Write-Attributes of every server (owned by the caller, shared
  /// with the observation engine).
  DataModel(ObjectTree& tree, AttributeStore& attributes);
  /// For users that need no shared attribute store (tests, tools): keeps its own.
  explicit DataModel(ObjectTree& tree);
  ~DataModel();
  DataModel(const DataModel&) = delete;
  DataModel& operator=(const DataModel&) = delete;

  /// Classifies the request by method, path, options and the definition (LwM2M Transport
  /// binding, CoAP mapping) and runs the operation.
  DmResponse handle(const DmRequest& request);

  /// Read (GET): `accept` picks the format; without it the server's version decides.
  DmResponse read(const DmRequest& request);
  /// Discover (GET, Accept: application/link-format).
  DmResponse discover(const DmRequest& request);
  /// Write: replace (PUT) or partial update (POST) of an instance, resource or resource
  /// instance.
  DmResponse write(const DmRequest& request, bool partialUpdate);
  /// Execute (POST on an executable resource), arguments validated.
  DmResponse execute(const DmRequest& request);
  /// Create (POST on an object): 2.01 with Location-Path.
  DmResponse create(const DmRequest& request);
  /// What a checked Create makes: the instance id (Path::kInvalidId: the client picks one)
  /// and the initial values.
  struct CreatePlan {
    std::uint16_t instanceId = Path::kInvalidId;
    std::vector<ResourceData> values;
  };
  /// Every check of create() (path, definition, access, payload, mandatory resources, free
  /// id), changing nothing: for a Create that someone else must agree to first (a whole-object
  /// provider). The error's code and message are the server's answer.
  Result<CreatePlan> prepareCreate(const DmRequest& request);
  /// Carries out a Create prepareCreate() accepted: adds /oid/iid with `values` and `owner`,
  /// and its Access Control instance. 2.01 with Location-Path, or the error (nothing added).
  DmResponse commitCreate(const DmRequest& request, std::uint16_t iid,
                          const std::vector<ResourceData>& values, const std::string& owner);
  /// Delete (DELETE on an object instance).
  DmResponse remove(const DmRequest& request);
  /// Every check of remove(), changing nothing: nullopt when the Delete may go ahead.
  std::optional<DmResponse> checkRemove(const DmRequest& request) const;
  /// Write-Attributes (PUT with Uri-Query and no payload).
  DmResponse writeAttributes(const DmRequest& request);
  /// Read-Composite (FETCH; TS 1.1 §6.3.8): the payload lists paths at any level, across
  /// objects ("/" is everything a server may see); the answer is the union of their readable
  /// values in `accept`, else the request's format (SenML JSON or CBOR). A path that does not
  /// exist, is not readable or is not the server's to see is left out (ETS int-236, int-281);
  /// only when every path fails is the answer the first path's error.
  DmResponse readComposite(const DmRequest& request);
  /// Write-Composite (iPATCH; TS 1.1 §6.3.9): SenML records with values for resources and
  /// resource instances of existing instances, across objects. All or nothing: every value is
  /// checked before any is stored; each instance then changes in one step, so its listeners
  /// hear one valuesChanged. Resources named are replaced, resource instances merged.
  DmResponse writeComposite(const DmRequest& request);

  AttributeStore& attributes() { return attributes_; }

  /// Enforces Access Control (TS 1.1 Core §7.3) on every operation with the request's
  /// serverShortId: 4.01 when a right is missing; object-level Read, Discover and the
  /// composite reads leave out the instances the server may not read. A target that does not
  /// exist is still 4.04 (existence is checked first). Create makes the new instance's Access
  /// Control instance, Delete removes it. Null (the default) checks nothing. Not owned.
  void setAccessControl(const AccessControl* access) { access_ = access; }
  const AccessControl* accessControl() const { return access_; }
  /// May `server` read `path` (also what an Observe needs)? Always true without Access Control.
  bool mayRead(std::uint16_t server, const Path& path) const;

 private:
  /// Access Control's verdict on `op`, as an answer: nullopt when allowed (or not checked).
  std::optional<DmResponse> refused(const DmRequest& request, AccessOperation op,
                                    const Path& path) const;
  /// Access Control's verdict on `op` (allowed without Access Control).
  AccessDecision decide(std::uint16_t server, AccessOperation op, const Path& path) const;

  ObjectTree& tree_;
  const AccessControl* access_ = nullptr;
  std::unique_ptr<AttributeStore> ownAttributes_;
  AttributeStore& attributes_;
};

/// Turns an engine Error into a response with the reason as diagnostic payload.
DmResponse toResponse(const Error& error);

}  // namespace lwm2md
