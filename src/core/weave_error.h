// Numeric Weave error codes ("respcodes"), sent as the JSON body of a 400.
#pragma once

namespace weave {

enum class WeaveError : int {
  kIllegalMethod = 1,           // illegal method or protocol
  kInvalidCaptcha = 2,          // incorrect or missing captcha
  kInvalidUsername = 3,         // invalid or missing username
  kCannotOverwrite = 4,         // attempt to overwrite data that can't be overwritten
  kUserIdMismatch = 5,          // user id does not match account in path
  kJsonParseFailure = 6,        // JSON parse failure
  kMissingPassword = 7,         // missing password field
  kInvalidWbo = 8,              // invalid Weave Basic Object
  kWeakPassword = 9,            // requested password not strong enough
  kInvalidResetCode = 10,       // invalid or missing password reset code
  kUnsupportedFunction = 11,    // unsupported function
  kNoEmail = 12,                // no (valid) e-mail address on file
  kInvalidCollection = 13,      // invalid collection
  kOverQuota = 14,              // user over quota
  kEmailDoesNotMatchUser = 15,  // the e-mail does not match the username
  kClientUpgradeRequired = 16,  // client upgrade required
  kSizeLimitExceeded = 17,      // size limit exceeded
};

}  // namespace weave
