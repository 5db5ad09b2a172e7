// Linked only into the fully static corral (CORRAL_STATIC_GLIBC). libnl has
// code that resolves host and protocol names (nl_addr_info,
// nl_ip_proto2str), which corral never calls; glibc's resolvers would need
// the host's NSS modules, of glibc's own version, at run time, and the
// linker warns about every one of them. These definitions take their place:
// a static corral resolves no names, and says so if it is ever asked to.
#include <netdb.h>

#include <cerrno>

extern "C" {

int getaddrinfo(const char*, const char*, const struct addrinfo*, struct addrinfo** res) {
  if (res) *res = nullptr;
  errno = ENOSYS;
  return EAI_SYSTEM;
}

void freeaddrinfo(struct addrinfo*) {}

struct protoent* getprotobyname(const char*) {
  return nullptr;
}

struct protoent* getprotobynumber(int) {
  return nullptr;
}

}  // extern "C"
