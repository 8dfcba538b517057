#pragma once

#include <cstdint>
#include <string>

#include "dm/dm_request.hpp"
#include "model/content.hpp"
#include "model/object_def.hpp"
#include "model/path.hpp"
#include "model/result.hpp"

namespace lwm2md {

class Instance;
class ObjectTree;

// Helpers every operation file shares: lookups that fail with the TS's 4.04 and a reason.

/// Resource shapes from the definition, for the decoders.
ShapeLookup shapesOf(const ObjectDef& def);

/// The definition of `oid`; 4.04 "object N is not supported" when there is none.
Result<const ObjectDef*> findObject(const ObjectTree& tree, std::uint16_t oid);
/// The instance /oid/iid; 4.04 naming it when absent.
Result<Instance*> findInstance(ObjectTree& tree, std::uint16_t oid, std::uint16_t iid);
/// The definition of resource `rid`; 4.04 when the object defines none.
Result<const ResourceDef*> findResource(const ObjectDef& def, std::uint16_t rid);

/// "/3/0/1 (Model Number)": a path and the resource's name, for messages.
std::string describeResource(const ObjectDef& def, std::uint16_t iid, const ResourceDef& res);

/// What a Read of `path` (an object, instance, resource or resource instance) returns: the
/// readable values only. 4.04 for what does not exist, 4.05 for a resource that is not
/// readable. Access to the Security object is the caller's to refuse.
Result<Content> readableContent(const ObjectTree& tree, const Path& path);

/// A success without payload (2.02, 2.04, ...).
DmResponse emptyResponse(CoapCode code);

}  // namespace lwm2md
