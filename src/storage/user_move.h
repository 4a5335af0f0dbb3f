// Moving one user's records from one storage node's database to another's while the user
// keeps syncing: weave-admin users move and nodes evacuate.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "auth/node_directory.h"
#include "core/user_name.h"
#include "db/sql_connection.h"

namespace weave {

struct MoveRequest {
  std::string username;
  UserId user = 0;
  std::string from_url;  // the user's node now
  std::string to_url;
  SqlConnection* from = nullptr;  // the nodes' record databases
  SqlConnection* to = nullptr;
};

// Where a move reports: a line per step, and the copy's progress through core/progress.h (a
// bar on a terminal, a line per tenth otherwise).
struct MoveOutput {
  std::ostream& steps;
  std::ostream& progress;
  bool terminal = false;  // progress is a terminal: draw a bar
};

struct MoveResult {
  int64_t records = 0;    // records on the new node at the switch
  int64_t caught_up = 0;  // records written or deleted during the copy, copied again
};

// Moves the user's records and then the user, in steps, writing a line per step on
// out.steps and the copy's progress on out.progress:
// 1. the user's records on the new node are cleared, then every record, collection name
//    and collection time is copied in batches, while the old node keeps serving the user;
// 2. what changed meanwhile is copied again (records compared by their stored fields,
//    deletions included), until a round finds little;
// 3. the user is frozen on the old node (frozen_users: writes get 503 with a short
//    Retry-After; the freeze waits for writes under way), and a last comparison copies the
//    rest, so the new node holds exactly what the old one acknowledged;
// 4. the assignment switches (the old node then answers 401 and clients ask node/weave);
// 5. the old copy is deleted. The freeze row stays there, so a write that raced the switch
//    is refused, never lost; a later move back to that node removes it.
// A failure before step 4 unfreezes the user and leaves the assignment as it was. Throws
// BackendError.
MoveResult MoveUser(const MoveRequest& move, NodeDirectory& nodes, const MoveOutput& out);

}  // namespace weave
