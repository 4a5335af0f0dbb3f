// Deleting an account: the one sequence that the User API, the delete page and weave-admin
// share, so that none of them leaves anything behind for a later account of the same name.
#include "reg/registration_api.h"

namespace weave {

void DeleteAccount(RegServices& services, std::string_view username, UserId id) {
  services.erase_user_data(id);
  services.accounts.DeleteUser(username);
  services.nodes.Release(username);
  services.state.ClearResetCode(username);
  services.logins.ForgetAccount(username);
}

}  // namespace weave
