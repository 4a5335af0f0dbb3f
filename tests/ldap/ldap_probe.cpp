// ldap_probe: calls LdapAuthenticator::Authenticate directly, without the HTTP layer's
// user-name checks in front of it, so the tests can aim filter- and DN-injection attempts
// at the escaping itself. Built and run by tests/ldap/run.sh.
// Usage: ldap_probe CONFIG < lines of "USER<TAB>PASSWORD"; prints one line per input:
// "ok <id>", "refused" or "error <detail>".
#include <iostream>
#include <string>

#include "auth/ldap/ldap_authenticator.h"
#include "core/config_loader.h"
#include "core/log.h"
#include "db/make_connection.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: ldap_probe CONFIG < USER<TAB>PASSWORD lines\n";
    return 2;
  }
  try {
    const weave::Config config = weave::LoadConfigFile(argv[1]);
    weave::InitLog("error", "");
    const auto connection = weave::MakeConnection(config.database);
    weave::SystemClock clock;
    weave::LdapAuthenticator authenticator(config.auth.ldap, *connection, clock);
    std::string line;
    while (std::getline(std::cin, line)) {
      const size_t tab = line.find('\t');
      const std::string user = line.substr(0, tab);
      const std::string password = tab == std::string::npos ? "" : line.substr(tab + 1);
      try {
        const auto id = authenticator.Authenticate(user, password);
        std::cout << (id ? "ok " + std::to_string(*id) : "refused") << std::endl;
      } catch (const std::exception& error) {
        std::cout << "error " << error.what() << std::endl;
      }
    }
  } catch (const std::exception& error) {
    std::cerr << "ldap_probe: " << error.what() << '\n';
    return 1;
  }
  return 0;
}
