// sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET. Node 20 has no unix
// datagram sockets, so this lives in the addon. It is sent from the calling process itself,
// so the kernel's SCM_CREDENTIALS carry havend's own pid, which NotifyAccess=main requires.
#include "registry.h"

#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace haven {
namespace {

// sdNotify(socketPath, message): a path, or '@name' for the abstract namespace.
Napi::Value SdNotify(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = PathArg(info, 0);
  std::string message = PathArg(info, 1);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    ThrowErrno(env, EINVAL, "sd_notify", path);
    return env.Undefined();
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  // The abstract namespace: a leading NUL, and the address length counts exactly the name.
  if (path[0] == '@') addr.sun_path[0] = '\0';
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());

  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ThrowErrno(env, errno, "socket", path);
    return env.Undefined();
  }
  ssize_t sent = sendto(fd, message.data(), message.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr), len);
  int err = errno;
  close(fd);
  if (sent < 0) ThrowErrno(env, err, "sendto", path);
  return env.Undefined();
}

void Register(Napi::Env env, Napi::Object exports) {
  exports.Set("sdNotify", Napi::Function::New(env, SdNotify, "sdNotify"));
}

}  // namespace

HAVEN_REGISTER("sd-notify", Register);

}  // namespace haven
