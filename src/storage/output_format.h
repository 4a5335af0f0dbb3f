// Chooses the output format of a multi-record GET from the Accept header.
#pragma once

#include <string_view>

namespace weave {

enum class OutputFormat { kJson, kNewlines, kWhoisi };

// q-value negotiation between application/json, application/newlines and
// application/whoisi; JSON wins ties (so "*/*" gives JSON) and anything unparsable.
OutputFormat NegotiateFormat(std::string_view accept_header);

const char* ContentTypeOf(OutputFormat format);

}  // namespace weave
