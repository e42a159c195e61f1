// The "restore-at" area: `haven restore` never writes through a symlink. Every create and
// every metadata call happens relative to a directory descriptor and names ONE component,
// so a link planted in the target (by the snapshot being restored or by another process
// meanwhile) cannot send a write, a chmod or a chown outside the target. This file opens
// paths below the target's root (openBeneath); restore-at-entries.cc creates and removes
// entries, restore-at-metadata.cc sets owners, modes, times and xattrs.
#include "restore-at.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <vector>

namespace haven {
namespace restore_at {
namespace {

// Process-wide by nature (the kernel is too): the tests' switch to the component walk, and
// the latch set once the kernel said it has no openat2, so later opens skip the failing call.
std::atomic<bool> walkForced{false};
std::atomic<bool> openat2Missing{false};

// Splits a relative path into its components; false unless every one is a plain name (so
// also for a leading or trailing '/', '//', '.', '..' and the empty path).
bool SplitRelative(const std::string& rel, std::vector<std::string>& parts) {
  for (size_t start = 0;;) {
    size_t slash = rel.find('/', start);
    std::string part = rel.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (!IsOneComponent(part)) return false;
    parts.push_back(std::move(part));
    if (slash == std::string::npos) return true;
    start = slash + 1;
  }
}

// RESOLVE_BENEATH keeps the lookup below root; RESOLVE_NO_SYMLINKS refuses a link in ANY
// component (ELOOP), which O_NOFOLLOW alone does only for the last. Mount points below
// the root are crossed on purpose (a restore target may span filesystems): no NO_XDEV.
int OpenWithOpenat2(int root, const std::string& rel, int flags, mode_t mode) {
  struct open_how how = {};
  how.flags = static_cast<uint64_t>(static_cast<unsigned>(flags));
  // openat2 refuses a mode without O_CREAT or O_TMPFILE (EINVAL), where open ignores it.
  bool creates = (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE;
  how.mode = creates ? mode : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(syscall(SYS_openat2, root, rel.c_str(), &how, sizeof how));
}

// The same guarantee without openat2: one openat per component, none following a link.
// Intermediate directories are opened O_PATH, which needs only search permission, the
// same permission openat2's own walk needs (O_RDONLY would also demand read permission).
// A symlink there fails: O_DIRECTORY with O_NOFOLLOW gives ENOTDIR (or ELOOP).
int OpenByWalking(int root, const std::vector<std::string>& parts, int flags, mode_t mode) {
  int dir = root;
  for (size_t i = 0; i + 1 < parts.size(); i++) {
    int next = openat(dir, parts[i].c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int err = errno;
    if (dir != root) close(dir);
    if (next < 0) {
      errno = err;
      return -1;
    }
    dir = next;
  }
  int fd = openat(dir, parts.back().c_str(), flags, mode);
  int err = errno;
  if (dir != root) close(dir);
  errno = err;
  return fd;
}

// openBeneath(rootFd, relPath, flags, mode) -> fd
Napi::Value OpenBeneath(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckArgs(info, "openBeneath(rootFd: number, relPath: string | Buffer, flags: number, mode: number)",
                 {Arg::Fd, Arg::Path, Arg::Number, Arg::Number})) {
    return env.Undefined();
  }
  int root = FdAt(info, 0);
  std::string rel = PathArg(info, 1);
  int flags = info[2].As<Napi::Number>().Int32Value() | O_CLOEXEC | O_NOFOLLOW;
  mode_t mode = static_cast<mode_t>(info[3].As<Napi::Number>().Uint32Value() & 07777);
  std::vector<std::string> parts;
  if (!SplitRelative(rel, parts)) {
    ThrowErrno(env, EINVAL, "openat", rel);
    return env.Undefined();
  }
  if (!walkForced.load() && !openat2Missing.load()) {
    int fd = OpenWithOpenat2(root, rel, flags, mode);
    if (fd >= 0) return Napi::Number::New(env, fd);
    // ENOSYS: an older kernel, or a seccomp filter that hides the call (it stays hidden).
    // EPERM: a filter that denies it, or a real EPERM, which the walk then reports again.
    if (errno == ENOSYS) {
      openat2Missing.store(true);
    } else if (errno != EPERM) {
      ThrowErrno(env, errno, "openat2", rel);
      return env.Undefined();
    }
  }
  int fd = OpenByWalking(root, parts, flags, mode);
  if (fd < 0) {
    ThrowErrno(env, errno, "openat", rel);
    return env.Undefined();
  }
  return Napi::Number::New(env, fd);
}

// setRestoreAtFallback(on): forces the component walk (the tests of the fallback).
Napi::Value SetFallback(const Napi::CallbackInfo& info) {
  if (CheckArgs(info, "setRestoreAtFallback(on: boolean)", {Arg::Bool})) {
    walkForced.store(info[0].As<Napi::Boolean>().Value());
  }
  return info.Env().Undefined();
}

void Register(Napi::Env env, Napi::Object exports) {
  ExportAll(env, exports, {{"openBeneath", OpenBeneath}, {"setRestoreAtFallback", SetFallback}});
  RegisterEntries(env, exports);
  RegisterMetadata(env, exports);
}

}  // namespace

HAVEN_REGISTER("restore-at", Register);

}  // namespace restore_at
}  // namespace haven
