// Rules the User API handlers and the account pages share: password strength, reset mail,
// the security log and account-name lookup.
#pragma once

#include <string>
#include <string_view>

#include "reg/registration_api.h"

namespace weave {

// Throws BadRequest(kWeakPassword) unless password is acceptable for username: long enough,
// not longer than kMaxPasswordBytes, valid UTF-8 without NUL, and not the user name itself.
void CheckPasswordStrength(const RegContext& call, std::string_view username,
                           std::string_view password);

// Reset mail needs a relay and the public URL its link points to.
bool CanSendResetMail(const RegContext& call);

// Mails a new reset code and link to the account's address (call only when
// CanSendResetMail). At most accounts.reset_mails_per_hour per account and
// accounts.reset_mails_per_address_per_hour per requesting address; more are dropped with a
// log line. Pending codes stay valid.
// Throws BackendError when the relay refuses.
void SendResetMail(const RegContext& call, const AccountInfo& account);

// True if code is one of username's pending reset codes (consume: and uses it up). A reset
// code is a password too: a wrong one is counted and logged like a wrong password, and a
// locked-out user name or address gets false without the code being looked at.
bool CheckResetCode(const RegContext& call, std::string_view username, std::string_view code,
                    bool consume);

// Writes a security event about username, caused by this request.
void Audit(const RegContext& call, SecurityEvent event, std::string_view username);

// The account a person typed: an e-mail address becomes Firefox's hashed user name, and a
// plain name that does not exist as typed is tried in lower case (Firefox lower-cases it).
std::string ResolveAccountName(const RegContext& call, std::string_view input);

}  // namespace weave
