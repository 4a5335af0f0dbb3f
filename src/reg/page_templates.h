// The account pages' and the reset mail's templates (Google ctemplate): built into the
// binary from the tree's templates/ folder, each replaceable by the operator's file of the
// same name under pages.templates_dir, in one folder per language ("en", "de", ...).
#pragma once

#include <cstring>  // before ctemplate: its str_ref.h calls strlen without including it
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <ctemplate/template_dictionary.h>

namespace ctemplate {
class TemplateCache;
}

namespace weave {

class PageTemplates {
 public:
  // The language pages fall back to, and that every language's missing templates come from.
  static constexpr std::string_view kDefaultLanguage = "en";

  // The built-in templates, then the operator's from operator_dir (may be missing). For each
  // language and template the first usable of: operator_dir/LANG/NAME, operator_dir/NAME,
  // built-in LANG/NAME, built-in NAME, and then the default language's choice. An operator
  // file is not used when it cannot be read, is over 256 KiB, does not parse, is an .html
  // file that does not start with {{%AUTOESCAPE context="HTML"}} (escaping stays automatic),
  // or turns escaping off with a :none modifier; each such file, and each template a
  // language lacks, is reported in problems (when given) and logged as a warning.
  explicit PageTemplates(const std::string& operator_dir,
                         std::vector<std::string>* problems = nullptr);
  ~PageTemplates();
  PageTemplates(const PageTemplates&) = delete;
  PageTemplates& operator=(const PageTemplates&) = delete;

  // Every language with templates, the default first: the built-in ones and each folder of
  // operator_dir named like a language tag in lower case ("fr", "pt-br").
  const std::vector<std::string>& Languages() const { return languages_; }

  // name (a file name such as "reset_request.html") in language (one of Languages(), else
  // the default one), with values; LANG is set to the language, and the includes HEAD and
  // FOOTER to the language's head.html and footer.html.
  std::string Render(const std::string& language, std::string_view name,
                     ctemplate::TemplateDictionary& values) const;

 private:
  std::unique_ptr<ctemplate::TemplateCache> cache_;
  std::vector<std::string> languages_;
};

}  // namespace weave
