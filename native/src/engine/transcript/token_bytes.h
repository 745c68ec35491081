// The vocabulary's text: what each token id decodes to, as the tokenizer (in TypeScript) gives it.
#pragma once

#include <string>
#include <vector>

namespace verbatim {

// token id -> the bytes the tokenizer decodes it to. Ids outside the table decode to nothing.
using TokenBytes = std::vector<std::string>;

}  // namespace verbatim
